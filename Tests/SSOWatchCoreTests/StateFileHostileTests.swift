import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

/// Hostile state files (docs/STATE.md), beyond the basic shapes in `StateFileTests`: whatever is in the
/// file, `StateFile.load` either loads it, moves it aside unchanged and starts afresh, or refuses a
/// newer version and leaves the file byte for byte as it was; `StateFile.inspect` (`ssowatch status`)
/// never changes the file. Nothing crashes, then or later when the daemon works with what it loaded.
@Suite struct StateFileHostileTests {
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
        Array(try StateCoding.encode(realDocument))
    }

    /// The real file with `replacement` in place of its first `"version":1`.
    static func realFile(version replacement: String) throws -> [UInt8] {
        let text = String(decoding: try realFile(), as: UTF8.self)
        #expect(text.contains("\"version\":1"))
        return Array(text.replacingOccurrences(of: "\"version\":1", with: "\"version\":\(replacement)").utf8)
    }

    // MARK: - Helpers

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

    // MARK: - Truncated, empty, not JSON

    @Test func theRealFileLoadsExactly() throws {
        try withStateFile(try Self.realFile()) { path, _ in
            let loaded = try StateFile.load(path: path, now: F.t0)
            #expect(loaded.outcome == .loaded)
            #expect(loaded.document == Self.realDocument)
        }
    }

    @Test(arguments: 1...9)
    func aFileTruncatedAtEveryTenthIsMovedAside(tenths: Int) throws {
        let file = try Self.realFile()
        #expect(file.count > 2_000, "a file large enough that each tenth cuts somewhere different")
        let reason = try expectMovedAside(Array(file.prefix(file.count * tenths / 10)))
        #expect(reason == "not valid JSON")
    }

    @Test func aFileMissingOnlyItsLastByteIsMovedAside() throws {
        try expectMovedAside(Array(try Self.realFile().dropLast()))
    }

    @Test(arguments: ["", " ", "\n\n\n", "\t\r\n \r\n"])
    func anEmptyOrBlankFileIsMovedAsideAsEmpty(text: String) throws {
        #expect(try expectMovedAside(Array(text.utf8)) == "the file is empty")
    }

    static let notJSON: [[UInt8]] = [
        Array(0...255).map(UInt8.init), [UInt8](repeating: 0, count: 100), [0xEF, 0xBB, 0xBF], Array("state: 1\n".utf8),
        Array("{'version': 1}".utf8), Array("{\"version\": 1, /* comment */ \"accounts\": {}}".utf8),
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{}} trailing".utf8),
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{}}{\"version\":1}".utf8),
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{}}\u{0}".utf8),
        Array("{\"version\":NaN}".utf8), Array("{\"version\":1e400}".utf8),
        // A lone surrogate: no Swift string holds one, so ssowatch never writes it.
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{\"\\ud800\":{\"failing\":true}}}".utf8),
        Array("{\"version\":9223372036854775808}".utf8),
        Array(("{\"version\":1,\"x\":" + String(repeating: "[", count: 100_000)).utf8),
        Array(
            ("{\"version\":1,\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
                + "}").utf8),
    ]

    @Test(arguments: notJSON)
    func bytesThatAreNotJSONAreMovedAside(bytes: [UInt8]) throws {
        #expect(try expectMovedAside(bytes) == "not valid JSON")
    }

    @Test(arguments: ["[]", "null", "true", "42", "\"state\"", "[{\"version\":1}]"])
    func jsonThatIsNotAnObjectIsMovedAside(text: String) throws {
        let reason = try expectMovedAside(Array(text.utf8))
        #expect(reason == "unexpected value at the top level")
    }

    // MARK: - Versions

    @Test(arguments: ["0", "-1", "-9223372036854775808"])
    func aVersionBelowOneIsMovedAside(version: String) throws {
        let reason = try expectMovedAside(try Self.realFile(version: version))
        #expect(reason == "unknown format version \(version)")
    }

    @Test(arguments: ["\"1\"", "true", "1.5", "[1]", "{}"])
    func aVersionThatIsNotAWholeNumberIsMovedAside(version: String) throws {
        let reason = try expectMovedAside(try Self.realFile(version: version))
        #expect(reason == "unexpected value at version" || reason == "not valid JSON", "\(reason ?? "nil")")
    }

    @Test func aNullVersionIsMissing() throws {
        #expect(try expectMovedAside(try Self.realFile(version: "null")) == "missing key \"version\"")
    }

    @Test(arguments: [2, 3, 1_000, Int.max])
    func aNewerVersionOfARealFileIsRefusedAndLeftUntouched(version: Int) throws {
        try expectRefused(try Self.realFile(version: "\(version)"), found: version)
    }

    @Test(arguments: [
        "{\"version\":2}", "{\"version\":2,\"accounts\":7,\"outbox\":\"later\"}", "{\"version\":2.0}",
        "\u{FEFF}{\"version\":2,\"accounts\":{}}", "{\"accounts\":{\"x\":[]},\"version\":2,\"shards\":[1,2,3]}",
    ])
    func aNewerVersionIsRefusedWhateverElseTheFileHolds(text: String) throws {
        // A newer format may look like anything; only its version is understood.
        try expectRefused(Array(text.utf8), found: 2)
    }

    @Test func duplicateVersionKeysAreReadConsistently() throws {
        // JSON leaves duplicate keys undefined; the version check and the decoder must agree on which
        // one counts, so a file is never half-read as version 1 and half as version 2.
        for text in [
            "{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{},\"version\":2}",
            "{\"version\":2,\"accounts\":{},\"outbox\":[],\"webhooks\":{},\"version\":1}",
        ] {
            try withStateFile(Array(text.utf8)) { path, directory in
                do {
                    let loaded = try StateFile.load(path: path, now: F.t0)
                    #expect(loaded.outcome == .loaded, "\(text)")
                    #expect(loaded.document.version == 1)
                } catch {
                    #expect(
                        error as? StateFileError == .newerVersion(found: 2, supported: 1, path: path), "\(text)")
                    #expect(fileBytes(path) == Array(text.utf8))
                }
                #expect(directoryContents(directory) == ["state.json"], "never moved aside: \(text)")
            }
        }
    }

    // MARK: - Values: huge numbers, wrong types, duplicates

    /// A one-account document whose connector/outbox fields can be replaced by raw JSON.
    static func document(
        account: String = "", connector: String = "", outboxEntry: String = "", webhooks: String = "{}"
    ) -> [UInt8] {
        let id = F.accountID
        let connectorJSON =
            "{\"id\":\"c1\",\"history\":[],\"last_seen\":817640100,\"missing_count\":0,\"status_since\":817640100,"
            + "\"stuck_notified\":false\(connector)}"
        let event =
            "{\"id\":\"evt_1\",\"kind\":\"verified\",\"detected_at\":817640100,\"account_name\":\"prod\","
            + "\"account_id\":\"\(id)\",\"connector_id\":\"c1\",\"status\":\"verified\"}"
        let entry =
            "{\"event\":\(event),\"webhook\":\"ops\",\"enqueued_at\":817640100,\"attempts\":0,"
            + "\"permanent_failure\":false\(outboxEntry)}"
        let text =
            "{\"version\":1,\"accounts\":{\"\(id)\":{\"account_id\":\"\(id)\",\"name\":\"prod\","
            + "\"baseline_done\":true,\"consecutive_failures\":0,\"connectors\":{\"c1\":\(connectorJSON)}"
            + "\(account)}},\"outbox\":[\(entry)],\"webhooks\":\(webhooks)}"
        return Array(text.utf8)
    }

    @Test func theValueTemplateLoads() throws {
        try withStateFile(Self.document()) { path, _ in
            let loaded = try StateFile.load(path: path, now: F.t0)
            #expect(loaded.outcome == .loaded)
            #expect(loaded.document.accounts[F.accountID]?.connectors["c1"] != nil)
            #expect(loaded.document.outbox.count == 1)
        }
    }

    static let hugeNumbers: [(bytes: [UInt8], field: String)] = [
        (document(account: ",\"last_poll\":1e300"), "accounts.\(F.accountID).last_poll"),
        (document(account: ",\"last_success\":-1e300"), "accounts.\(F.accountID).last_success"),
        (document(account: ",\"last_poll\":1.7976931348623157e308"), "accounts.\(F.accountID).last_poll"),
        (document(connector: ",\"status_since\":9e18"), "accounts.\(F.accountID).connectors.c1.status_since"),
        (document(outboxEntry: ",\"next_attempt_at\":-9.3e18"), "outbox.[0].next_attempt_at"),
        (
            document(account: ",\"consecutive_failures\":9223372036854775807"),
            "accounts.\(F.accountID).consecutive_failures"
        ),
        (document(account: ",\"consecutive_failures\":-1"), "accounts.\(F.accountID).consecutive_failures"),
        (
            document(connector: ",\"missing_count\":9223372036854775807"),
            "accounts.\(F.accountID).connectors.c1.missing_count"
        ),
        (document(outboxEntry: ",\"attempts\":9223372036854775807"), "outbox.[0].attempts"),
        (document(outboxEntry: ",\"attempts\":-5"), "outbox.[0].attempts"),
    ]

    @Test(arguments: hugeNumbers)
    func aHugeOrNegativeNumberIsMovedAsideNamingItsField(bytes: [UInt8], field: String) throws {
        // Duplicate keys put the hostile value second: the template's own value comes first and is
        // the one JSON decoders here read, so write the document without the template's value.
        let reason = try expectMovedAside(Self.withoutDuplicates(bytes))
        #expect(reason == "invalid value at \(field)")
    }

    /// Drops the template's own occurrence of a key that the replacement repeats.
    static func withoutDuplicates(_ bytes: [UInt8]) -> [UInt8] {
        var text = String(decoding: bytes, as: UTF8.self)
        for key in ["status_since", "missing_count", "consecutive_failures", "attempts"] {
            let occurrences = text.components(separatedBy: "\"\(key)\":").count - 1
            if occurrences == 2, let range = text.range(of: "\"\(key)\":0,") ?? text.range(of: "\"\(key)\":817640100,")
            {
                text.removeSubrange(range)
            }
        }
        return Array(text.utf8)
    }

    @Test func numbersTooLargeForTheirTypeAreMovedAside() throws {
        for hostile in [
            Self.document(account: ",\"last_poll\":1e400"),
            Self.withoutDuplicates(Self.document(account: ",\"consecutive_failures\":9223372036854775808")),
            Self.withoutDuplicates(Self.document(outboxEntry: ",\"attempts\":1e20")),
        ] {
            try expectMovedAside(hostile)
        }
    }

    static let wrongTypes: [(bytes: [UInt8], field: String)] = [
        (document(connector: ",\"status\":7"), "accounts.\(F.accountID).connectors.c1.status"),
        (document(connector: ",\"status\":\"exploded\""), "accounts.\(F.accountID).connectors.c1.status"),
        (document(connector: ",\"enabled\":\"true\""), "accounts.\(F.accountID).connectors.c1.enabled"),
        (document(account: ",\"last_error\":[\"HTTP 500\"]"), "accounts.\(F.accountID).last_error"),
        (document(webhooks: "{\"ops\":\"failing\"}"), "webhooks.ops"),
        (document(webhooks: "[]"), "webhooks"),
        (Array("{\"version\":1,\"accounts\":[],\"outbox\":[],\"webhooks\":{}}".utf8), "accounts"),
        (Array("{\"version\":1,\"accounts\":{},\"outbox\":{},\"webhooks\":{}}".utf8), "outbox"),
        (Array("{\"version\":1,\"accounts\":{},\"outbox\":[7],\"webhooks\":{}}".utf8), "outbox.[0]"),
    ]

    @Test(arguments: wrongTypes)
    func aValueOfTheWrongTypeIsMovedAsideNamingItsPlace(bytes: [UInt8], field: String) throws {
        let reason = try #require(try expectMovedAside(bytes))
        #expect(reason.hasSuffix("at \(field)"), "\(reason)")
    }

    @Test func aMissingFieldIsMovedAsideNamingIt() throws {
        let text = "{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{\"ops\":{}}}"
        #expect(try expectMovedAside(Array(text.utf8)) == "missing key \"failing\" in webhooks.ops")
    }

    @Test func duplicateKeysElsewhereLoadWithoutCrashing() throws {
        let id = F.accountID
        let account =
            "{\"account_id\":\"\(id)\",\"name\":\"prod\",\"baseline_done\":true,\"consecutive_failures\":0,\"connectors\":{}}"
        let renamed = account.replacingOccurrences(of: "\"prod\"", with: "\"other\"")
        let text =
            "{\"version\":1,\"accounts\":{\"\(id)\":\(account),\"\(id)\":\(renamed)},\"outbox\":[],"
            + "\"webhooks\":{\"ops\":{\"failing\":true,\"failing\":false}}}"
        try withStateFile(Array(text.utf8)) { path, _ in
            let loaded = try StateFile.load(path: path, now: F.t0)
            #expect(loaded.outcome == .loaded)
            #expect(loaded.document.accounts.count == 1)
            let report = StatusReport.json(state: loaded.document, configuration: nil, now: F.t0)
            #expect(report.contains(id))
        }
    }

    @Test func oddStringsLoadAndSaveBackUnchanged() throws {
        // A NUL, terminal escapes, a bidirectional override and a surrogate pair inside strings.
        let text = String(
            decoding: Self.document(account: ",\"last_error\":\"\\u0000 \\u001b[2J \\u202e \\ud83d\\ude00\""),
            as: UTF8.self)
        try withStateFile(Array(text.utf8)) { path, _ in
            let loaded = try StateFile.load(path: path, now: F.t0)
            #expect(loaded.outcome == .loaded)
            try StateFile.save(loaded.document, path: path)
            #expect(try StateFile.load(path: path, now: F.t0).document == loaded.document)
            _ = StatusReport.text(state: loaded.document, configuration: nil, now: F.t0)
        }
    }

    @Test func aUTF16OrBOMPrefixedCopyOfARealFileStillLoads() throws {
        // Foundation's JSON reader accepts these (RFC 8259 allows it), e.g. after an editor saved the file.
        let text = String(decoding: try Self.realFile(), as: UTF8.self)
        for bytes in [[0xEF, 0xBB, 0xBF] + Array(text.utf8), Array(text.data(using: .utf16)!)] {
            try withStateFile(bytes) { path, _ in
                let loaded = try StateFile.load(path: path, now: F.t0)
                #expect(loaded.outcome == .loaded)
                #expect(loaded.document == Self.realDocument)
            }
        }
    }

    @Test func theLargestAcceptedValuesSurviveTheDaemonsFirstSteps() throws {
        // What a loaded file can hold must not trap later: counters are incremented on failures and
        // dates are formatted by `ssowatch status`.
        var document = Self.realDocument
        let latest = Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59Z
        for (id, var account) in document.accounts {
            account.consecutiveFailures = StateCoding.maximumCount
            account.lastPoll = latest
            for key in account.connectors.keys { account.connectors[key]?.missingCount = StateCoding.maximumCount }
            document.accounts[id] = account
        }
        document.outbox[0].attempts = StateCoding.maximumCount
        document.outbox[0].enqueuedAt = Date(timeIntervalSince1970: 0)
        try withStateFile(Array(try StateCoding.encode(document))) { path, _ in
            var loaded = try StateFile.load(path: path, now: F.t0).document
            #expect(loaded == document)
            #expect(StatusReport.json(state: loaded, configuration: nil, now: F.t0).contains("9999-12-31T23:59:59Z"))
            for (id, account) in loaded.accounts {
                let failed = TransitionEngine.recordFailure(previous: account, error: "HTTP 503", now: F.t0)
                #expect(failed.consecutiveFailures == StateCoding.maximumCount + 1)
                _ = F.poll(account, [], name: id)
            }
            let batch = try #require(loaded.deliverableBatches(now: F.t0).first)
            loaded.markAttemptFailed(eventIDs: batch.eventIDs, webhook: batch.webhook, error: "x", retryAt: F.t0)
        }
    }
}
