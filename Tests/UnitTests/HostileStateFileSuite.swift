import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

/// The real document and where a damaged file goes, computed once for every hostile state file suite.
enum HostileStateFile {
    /// Where a file moved aside at `F.t0` goes.
    static let corruptSuffix = ".corrupt-20261129T101500Z"

    /// A realistic document: two accounts, connectors in every status with histories, an outbox
    /// with retried and permanently failed entries, and webhook delivery states.
    static let realDocument = makeRealDocument()

    static func makeRealDocument() -> StateDocument {
        var document = StateDocument()
        for (accountIndex, accountID) in [F.accountID, "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f"].enumerated() {
            var connectors: [String: ConnectorState] = [:]
            for (index, status) in VerificationStatus.allCases.enumerated() {
                let id = "c\(accountIndex)\(index)0e32b5c84d5a9b6e0f4c2a1d3e5f"
                let since = F.at(-Double(index) * 3_600.25)
                connectors[id] = ConnectorState(
                    id: id, emailDomain: "d\(index).example.com", enabled: index % 2 == 0, status: status,
                    rawStatus: status.rawValue, statusSince: since, lastSeen: F.at(-0.5), missingCount: index % 2,
                    stuckNotified: status == .pending, verificationCode: "cloudflare_dashboard_sso=\(id)",
                    history: [
                        TransitionRecord(at: since.addingTimeInterval(-60), from: nil, to: .awaiting, eventID: nil),
                        TransitionRecord(at: since, from: .awaiting, to: status, eventID: "evt_\(id)"),
                    ])
            }
            document.accounts[accountID] = AccountState(
                accountID: accountID, name: "account-\(accountIndex)", baselineDone: true, lastPoll: F.at(-1),
                lastSuccess: F.at(-301), lastError: accountIndex == 1 ? "HTTP 403: 10000 Authentication error" : nil,
                consecutiveFailures: accountIndex, connectors: connectors)
        }
        document.outbox = [
            OutboxEntry(event: F.event(.verified, connector: "c1"), webhook: "ops", enqueuedAt: F.at(-30)),
            OutboxEntry(
                event: F.event(.failed, connector: "c2"), webhook: "ops", enqueuedAt: F.at(-20), attempts: 4,
                nextAttemptAt: F.at(8), lastError: "HTTP 503"),
            OutboxEntry(
                event: F.event(.stuck, connector: "c3", status: "pending"), webhook: "audit", enqueuedAt: F.at(-10),
                attempts: 1, lastError: "HTTP 404", permanentFailure: true,
                urlFingerprint: String(repeating: "ab", count: 32)),
        ]
        document.webhooks = [
            "ops": WebhookDeliveryState(lastError: "HTTP 503", failing: true, lastSuccess: F.at(-3_600)),
            "audit": WebhookDeliveryState(lastError: "HTTP 404", failing: true),
        ]
        return document
    }

    static func realFile() throws -> [UInt8] {
        StateCoding.encode(realDocument)
    }

    /// The real file with `replacement` in place of its first `"version":1`.
    static func realFile(version replacement: String) throws -> [UInt8] {
        let text = String(decoding: try realFile(), as: UTF8.self)
        #expect(text.contains("\"version\":1"))
        return Array(text.replacingOccurrences(of: "\"version\":1", with: "\"version\":\(replacement)").utf8)
    }
}

/// A suite of hostile state file tests (docs/STATE.md), beyond the basic shapes in `StateFileTests`: whatever
/// is in the file, `StateFile.load` either loads it, moves it aside unchanged and starts afresh, or refuses
/// a newer version and leaves the file byte for byte as it was; `StateFile.inspect` (`ssowatch status`)
/// never changes the file. Nothing crashes, then or later when the daemon works with what it loaded.
/// Conforming gives a suite the real document and the helpers below.
protocol HostileStateFileSuite {}

extension HostileStateFileSuite {
    /// See `HostileStateFile`.
    static var corruptSuffix: String { HostileStateFile.corruptSuffix }
    static var realDocument: StateDocument { HostileStateFile.realDocument }
    static func realFile() throws -> [UInt8] { try HostileStateFile.realFile() }
    static func realFile(version replacement: String) throws -> [UInt8] {
        try HostileStateFile.realFile(version: replacement)
    }

    /// Runs `body` with `bytes` written to `state.json` in a new directory.
    func withStateFile<T>(_ bytes: [UInt8], _ body: (_ path: String, _ directory: String) throws -> T) throws -> T {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return try body(path, directory)
        }
    }

    func directoryContents(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? ["(unreadable)"]).sorted()
    }

    func fileBytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    /// `bytes` must be moved aside unchanged with a fresh document, after `ssowatch status` reported
    /// the file as corrupt without touching it; the next save must work. Returns the reason.
    @discardableResult
    func expectMovedAside(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        try withStateFile(bytes) { path, directory in
            let inspected = #expect(throws: StateFileError.self, sourceLocation: sourceLocation) {
                try StateFile.inspect(path: path)
            }
            guard case .readFailed(_, let inspectReason) = inspected else {
                Issue.record("status should report a corrupt file, got \(String(describing: inspected))")
                return nil
            }
            #expect(inspectReason.contains("corrupt"), sourceLocation: sourceLocation)
            #expect(fileBytes(path) == bytes, "status must not touch the file", sourceLocation: sourceLocation)

            let loaded = try StateFile.load(path: path, now: F.t0)
            guard case .movedAside(let movedTo, let reason) = loaded.outcome else {
                Issue.record(
                    "expected the file to be moved aside, got \(loaded.outcome)", sourceLocation: sourceLocation)
                return nil
            }
            #expect(movedTo == path + Self.corruptSuffix, sourceLocation: sourceLocation)
            #expect(directoryContents(directory) == ["state.json" + Self.corruptSuffix], sourceLocation: sourceLocation)
            #expect(fileBytes(movedTo) == bytes, "moved aside byte for byte", sourceLocation: sourceLocation)
            #expect(loaded.document == StateDocument(), sourceLocation: sourceLocation)
            #expect(loaded.report?.contains(reason) == true, sourceLocation: sourceLocation)
            #expect(loaded.report?.contains(movedTo) == true, sourceLocation: sourceLocation)
            #expect(!reason.contains("\n"), "one-line reason: \(reason)", sourceLocation: sourceLocation)

            try StateFile.save(StateDocument(), path: path)
            #expect(try StateFile.load(path: path, now: F.t0).outcome == .loaded, sourceLocation: sourceLocation)
            return reason
        }
    }

    /// `bytes` must be refused as a newer version by both `load` and `inspect`, and left untouched:
    /// the same bytes, mode and modification time, and no other file beside it.
    func expectRefused(_ bytes: [UInt8], found: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try withStateFile(bytes) { path, directory in
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o600, .modificationDate: F.at(-86_400)], ofItemAtPath: path)
            let before = try FileManager.default.attributesOfItem(atPath: path)
            let expected = StateFileError.newerVersion(
                found: found, supported: StateDocument.currentVersion, path: path)

            let loadError = #expect(throws: StateFileError.self, sourceLocation: sourceLocation) {
                try StateFile.load(path: path, now: F.t0)
            }
            #expect(loadError == expected, sourceLocation: sourceLocation)
            let inspectError = #expect(throws: StateFileError.self, sourceLocation: sourceLocation) {
                try StateFile.inspect(path: path)
            }
            #expect(inspectError == expected, sourceLocation: sourceLocation)

            let after = try FileManager.default.attributesOfItem(atPath: path)
            #expect(fileBytes(path) == bytes, "left untouched byte for byte", sourceLocation: sourceLocation)
            #expect(
                after[.modificationDate] as? Date == before[.modificationDate] as? Date, sourceLocation: sourceLocation)
            #expect(
                (after[.posixPermissions] as? NSNumber)?.intValue == 0o600, sourceLocation: sourceLocation)
            #expect(directoryContents(directory) == ["state.json"], sourceLocation: sourceLocation)
        }
    }
}
