import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

@Suite struct StateFileTests {
    private let fullDocument = Self.makeFullDocument()

    /// A document with every field set, dates with sub-millisecond fractions.
    private static func makeFullDocument() -> StateDocument {
        let odd = Date(timeIntervalSinceReferenceDate: 817_640_100.123_456_789)
        var event = F.event(.verified, connector: "c1", at: odd)
        event.previousStatus = .pending
        event.previousStatusSince = odd.addingTimeInterval(-3600.5)
        event.verificationCode = "cloudflare_dashboard_sso=c1"
        let connector = ConnectorState(
            id: "c1", emailDomain: "example.com", enabled: true, status: .verified, rawStatus: "verified",
            statusSince: odd, lastSeen: odd.addingTimeInterval(0.000_001), missingCount: 1, stuckNotified: true,
            verificationCode: "cloudflare_dashboard_sso=c1",
            history: [TransitionRecord(at: odd, from: .pending, to: .verified, eventID: event.id)])
        let account = AccountState(
            accountID: F.accountID, name: "prod", baselineDone: true, lastPoll: odd, lastSuccess: odd,
            lastError: "HTTP 403", consecutiveFailures: 2, connectors: ["c1": connector])
        let entry = OutboxEntry(
            event: event, webhook: "ops", enqueuedAt: odd, attempts: 3, nextAttemptAt: odd.addingTimeInterval(4.2),
            lastError: "HTTP 404", permanentFailure: true, urlFingerprint: "abc")
        return StateDocument(
            accounts: [F.accountID: account], outbox: [entry],
            webhooks: ["ops": WebhookDeliveryState(lastError: "HTTP 404", failing: true, lastSuccess: odd)])
    }

    private func contents(of directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? ["(unreadable)"]).sorted()
    }

    @Test func aSavedDocumentLoadsBackExactly() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            try StateFile.save(fullDocument, path: path)
            let loaded = try StateFile.load(path: path)
            #expect(loaded.outcome == .loaded)
            #expect(loaded.report == nil)
            #expect(loaded.document == fullDocument)
        }
    }

    @Test func theFileUsesStableSnakeCaseKeys() throws {
        let text = String(decoding: StateCoding.encode(fullDocument), as: UTF8.self)
        for key in [
            "\"version\":1", "\"account_id\"", "\"baseline_done\"", "\"last_poll\"", "\"last_success\"",
            "\"consecutive_failures\"", "\"email_domain\"", "\"raw_status\"", "\"status_since\"", "\"last_seen\"",
            "\"missing_count\"", "\"stuck_notified\"", "\"verification_code\"", "\"event_id\"", "\"enqueued_at\"",
            "\"next_attempt_at\"", "\"permanent_failure\"", "\"url_fingerprint\"", "\"detected_at\"",
            "\"previous_status\"", "\"previous_status_since\"", "\"connector_id\"", "\"account_name\"",
        ] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(!text.contains("accountID") && !text.contains("detectedAt"))
    }

    @Test func aMissingFileIsAFreshStart() throws {
        try F.withTemporaryDirectory { directory in
            let loaded = try StateFile.load(path: directory + "/state.json")
            #expect(loaded.outcome == .missing)
            #expect(loaded.document == StateDocument())
            #expect(contents(of: directory).isEmpty)
        }
    }

    @Test func savingIsAtomicLeavesNoTemporaryFilesAndSetsMode0600() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            try StateFile.save(StateDocument(), path: path)
            try StateFile.save(fullDocument, path: path)
            #expect(contents(of: directory) == ["state.json"])
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try StateFile.load(path: path).document == fullDocument)
        }
    }

    @Test func savingCreatesMissingDirectoriesWithMode0700() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/lib/ssowatch/state.json"
            try StateFile.save(fullDocument, path: path)
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/lib/ssowatch")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            #expect(contents(of: directory + "/lib/ssowatch") == ["state.json"])
        }
    }

    @Test func aWriteErrorNamesThePathAndTheOSError() throws {
        try F.withTemporaryDirectory { directory in
            let blocker = directory + "/not-a-directory"
            _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
            let path = blocker + "/state.json"
            let error = #expect(throws: StateFileError.self) { try StateFile.save(StateDocument(), path: path) }
            #expect(error?.path == path)
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("Not a directory") == true)
        }
    }

    @Test(arguments: [
        "", "  \n", "not json", "{\"version\": 1, \"accounts\": {", "[1, 2]", "{\"accounts\": {}}",
        "{\"version\": 1}", "{\"version\": \"1\"}",
        "{\"version\": 0, \"accounts\": {}, \"outbox\": [], \"webhooks\": {}}",
        "{\"version\": 1, \"accounts\": {\"x\": {\"name\": 3}}, \"outbox\": [], \"webhooks\": {}}",
    ])
    func aCorruptFileIsMovedAsideAndStartsFresh(text: String) throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            let loaded = try StateFile.load(path: path, now: F.t0)
            let moved = path + ".corrupt-20261129T101500Z"
            #expect(loaded.document == StateDocument())
            guard case .movedAside(let movedTo, _) = loaded.outcome else {
                Issue.record("expected the file to be moved aside, got \(loaded.outcome)")
                return
            }
            #expect(movedTo == moved)
            #expect(contents(of: directory) == ["state.json.corrupt-20261129T101500Z"])
            #expect(FileManager.default.contents(atPath: moved) == Data(text.utf8))
            #expect(loaded.report?.contains(path) == true)
            #expect(loaded.report?.contains(moved) == true)
        }
    }

    @Test func aSecondCorruptFileInTheSameSecondDoesNotOverwriteTheFirst() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            _ = FileManager.default.createFile(atPath: path, contents: Data("one".utf8))
            _ = try StateFile.load(path: path, now: F.t0)
            _ = FileManager.default.createFile(atPath: path, contents: Data("two".utf8))
            let second = try StateFile.load(path: path, now: F.t0)
            let expected = path + ".corrupt-20261129T101500Z-2"
            #expect(
                second.outcome == .movedAside(movedTo: expected, reason: "not valid JSON at byte 1: expected a value"))
            #expect(FileManager.default.contents(atPath: path + ".corrupt-20261129T101500Z") == Data("one".utf8))
        }
    }

    @Test func aFileFromANewerVersionIsRefusedAndLeftUntouched() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let text = "{\"version\": 2, \"something\": \"new\"}"
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            let error = #expect(throws: StateFileError.self) { try StateFile.load(path: path, now: F.t0) }
            #expect(error == .newerVersion(found: 2, supported: 1, path: path))
            #expect(error?.description.contains("newer version of ssowatch") == true)
            #expect(error?.description.contains(path) == true)
            #expect(contents(of: directory) == ["state.json"])
            #expect(FileManager.default.contents(atPath: path) == Data(text.utf8))
        }
    }

    @Test func anUnreadableFileIsAnErrorNotAFreshStart() throws {
        try F.withTemporaryDirectory { directory in
            let error = #expect(throws: StateFileError.self) { try StateFile.load(path: directory) }
            guard case .readFailed(let path, let reason) = error else {
                Issue.record("expected readFailed, got \(String(describing: error))")
                return
            }
            #expect(path == directory)
            #expect(reason.contains("Is a directory"))
        }
    }

    @Test func theStoreSeamUsesItsClockForTheCorruptName() throws {
        try F.withTemporaryDirectory { directory in
            let store = StateFile(path: directory + "/state.json", now: { F.t0 })
            #expect(try store.load().outcome == .missing)
            try store.save(fullDocument)
            #expect(try store.load().document == fullDocument)
            _ = FileManager.default.createFile(atPath: store.path, contents: Data())
            #expect(
                try store.load().outcome
                    == .movedAside(
                        movedTo: store.path + ".corrupt-20261129T101500Z", reason: "the file is empty"))
        }
    }

    @Test func theInMemoryStoreRecordsSavesAndInjectedFailures() throws {
        let store = InMemoryStateStore()
        #expect(try store.load().outcome == .missing)
        try store.save(fullDocument)
        #expect(try store.load().document == fullDocument)
        #expect(store.saves.count == 1)
        store.failAll(with: .writeFailed(path: "/x", step: "rename", reason: "No space left on device (errno 28)"))
        #expect(throws: StateFileError.self) { try store.save(StateDocument()) }
        #expect(store.saves.count == 1)
    }
}
