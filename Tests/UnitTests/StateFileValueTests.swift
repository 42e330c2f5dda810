import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

/// Hostile state files: huge numbers, wrong types, duplicate keys and odd strings in the values (see
/// `HostileStateFileSuite`).
@Suite struct StateFileValueTests: HostileStateFileSuite {
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
        (document(outboxEntry: ",\"next_attempt_at\":-9.3e18"), "outbox[0].next_attempt_at"),
        (
            document(account: ",\"consecutive_failures\":9223372036854775807"),
            "accounts.\(F.accountID).consecutive_failures"
        ),
        (document(account: ",\"consecutive_failures\":-1"), "accounts.\(F.accountID).consecutive_failures"),
        (
            document(connector: ",\"missing_count\":9223372036854775807"),
            "accounts.\(F.accountID).connectors.c1.missing_count"
        ),
        (document(outboxEntry: ",\"attempts\":9223372036854775807"), "outbox[0].attempts"),
        (document(outboxEntry: ",\"attempts\":-5"), "outbox[0].attempts"),
    ]

    @Test(arguments: hugeNumbers)
    func aHugeOrNegativeNumberIsMovedAsideNamingItsField(bytes: [UInt8], field: String) throws {
        // Duplicate keys put the hostile value second: the template's own value comes first and is
        // the one JSON decoders here read, so write the document without the template's value.
        let reason = try #require(try expectMovedAside(Self.withoutDuplicates(bytes)))
        let kind =
            field.hasSuffix("_count") || field.hasSuffix("_failures") || field.hasSuffix("attempts") ? "count" : "date"
        #expect(reason.hasPrefix("\(kind) "), "\(reason)")
        #expect(reason.contains(" is out of range ("), "\(reason)")
        #expect(reason.hasSuffix(") at \(field)"), "\(reason)")
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
        (Array("{\"version\":1,\"accounts\":{},\"outbox\":[7],\"webhooks\":{}}".utf8), "outbox[0]"),
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
        try withStateFile(StateCoding.encode(document)) { path, _ in
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
