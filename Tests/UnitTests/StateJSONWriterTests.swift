import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The state file writer must write docs/STATE.md exactly: the bytes `JSONEncoder` gives for the format's
/// tree (`StateFormatOracle`, written independently of the writer), which the reader reads back.
@Suite struct StateJSONWriterTests {
    typealias F = MonitorFixtures

    private func expectSameBytes(_ document: StateDocument, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try StateFormatOracle.encoded(document)
        let written = StateJSONWriter.encode(document)
        #expect(
            String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
            sourceLocation: sourceLocation)
        // What the writer writes, the reader reads back (StateJSONReaderTests covers the rest).
        let read = try StateJSONReader.document(written)
        #expect(read == document, sourceLocation: sourceLocation)
        #expect(read.journalGeneration == document.journalGeneration, sourceLocation: sourceLocation)
    }

    @Test func anEmptyDocument() throws {
        try expectSameBytes(StateDocument())
    }

    @Test func everyFieldSetAndUnset() throws {
        let full = ConnectorState(
            id: "c-full", emailDomain: "full.example.com", enabled: true, status: .verified, rawStatus: "verified",
            statusSince: F.at(0.123_456_7), lastSeen: F.at(86_400.5), missingCount: 1, stuckNotified: true,
            verificationCode: "cloudflare_dashboard_sso=c-full",
            history: [
                TransitionRecord(at: F.at(-3600), from: nil, to: .pending, eventID: nil),
                TransitionRecord(at: F.at(0), from: .pending, to: .verified, eventID: "evt_0123456789abcdef"),
            ])
        let bare = ConnectorState(id: "c-bare", statusSince: Date(timeIntervalSinceReferenceDate: 0), lastSeen: F.t0)
        let account = AccountState(
            accountID: F.accountID, name: "prod", baselineDone: true, lastPoll: F.at(1), lastSuccess: F.at(0.25),
            lastError: "HTTP 403: Authentication error", consecutiveFailures: 7,
            connectors: ["c-full": full, "c-bare": bare])
        let fresh = AccountState(accountID: "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f", name: "staging")
        var event = F.event(.verified, connector: "c-full")
        event.previousStatus = .pending
        event.previousStatusSince = F.at(-3600)
        event.verificationCode = "cloudflare_dashboard_sso=c-full"
        var quiet = F.event(.removed, connector: "c-gone", status: "unknown")
        quiet.emailDomain = nil
        quiet.enabled = nil
        let entries = [
            OutboxEntry(event: event, webhook: "ops", enqueuedAt: F.t0),
            OutboxEntry(
                event: quiet, webhook: "audit", enqueuedAt: F.at(2), attempts: 3, nextAttemptAt: F.at(60),
                lastError: "HTTP 404: no_team", permanentFailure: true,
                urlFingerprint: OutboxEntry.fingerprint(ofURL: "https://example.com/hook")),
        ]
        let document = StateDocument(
            accounts: [account.accountID: account, fresh.accountID: fresh], outbox: entries,
            webhooks: [
                "ops": WebhookDeliveryState(lastError: nil, failing: false, lastSuccess: F.at(3)),
                "audit": WebhookDeliveryState(lastError: "HTTP 404", failing: true, lastSuccess: nil),
            ])
        try expectSameBytes(document)
    }

    @Test func keysAreSortedByTheirBytes() throws {
        var accounts: [String: AccountState] = [:]
        for name in ["b", "a", "B", "_", "a_b", "ab", "é", "e\u{301}", "Z9", "0"] {
            accounts[name] = AccountState(
                accountID: name, name: name,
                connectors: [
                    name: ConnectorState(id: name, statusSince: F.t0, lastSeen: F.t0),
                    name + "x": ConnectorState(id: name + "x", statusSince: F.t0, lastSeen: F.t0),
                ])
        }
        try expectSameBytes(
            StateDocument(accounts: accounts, webhooks: ["z": .init(), "A": .init(), "m-1.x": .init()]))
    }

    @Test func stringsAreEscapedAsJSONEncoderWouldEscapeThem() throws {
        let nasty = "q\"b\\s/\u{0}\u{1}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{1F}\u{7F} é😀\u{2028}</script>"
        let account = AccountState(
            accountID: nasty, name: nasty, lastError: nasty,
            connectors: [
                nasty: ConnectorState(
                    id: nasty, emailDomain: nasty, rawStatus: nasty, statusSince: F.t0, lastSeen: F.t0,
                    verificationCode: nasty)
            ])
        try expectSameBytes(StateDocument(accounts: [nasty: account]))
    }

    @Test func datesAndCountsAtTheirLimits() throws {
        let dates = [
            StateCoding.dateRange.lowerBound, StateCoding.dateRange.upperBound, Date(timeIntervalSinceReferenceDate: 0),
            Date(timeIntervalSinceReferenceDate: 0.1), Date(timeIntervalSinceReferenceDate: 7e8),
            Date(timeIntervalSinceReferenceDate: 786_000_000.123_456), Date(timeIntervalSinceReferenceDate: -1.5),
        ]
        var connectors: [String: ConnectorState] = [:]
        for (index, date) in dates.enumerated() {
            connectors["c\(index)"] = ConnectorState(
                id: "c\(index)", statusSince: date, lastSeen: date, missingCount: StateCoding.maximumCount)
        }
        let account = AccountState(
            accountID: "a", name: "a", lastPoll: dates[1], consecutiveFailures: StateCoding.maximumCount,
            connectors: connectors)
        try expectSameBytes(StateDocument(accounts: ["a": account]))
    }

    @Test func datesAndCountsTheFormatCannotHoldAreWrittenClampedAndReadBack() throws {
        // Only a bug could make them; one such value must not cost the whole state at the next start.
        let nan = Date(timeIntervalSinceReferenceDate: .nan)
        let connector = ConnectorState(
            id: "c", statusSince: Date(timeIntervalSinceReferenceDate: 1e12),
            lastSeen: Date(timeIntervalSinceReferenceDate: -.infinity),
            missingCount: -3)
        let account = AccountState(
            accountID: "a", name: "a", lastPoll: nan, lastSuccess: Date(timeIntervalSinceReferenceDate: .infinity),
            consecutiveFailures: StateCoding.maximumCount + 1, connectors: ["c": connector])
        let read = try StateJSONReader.document(StateJSONWriter.encode(StateDocument(accounts: ["a": account])))
        let earliest = StateCoding.dateRange.lowerBound
        let latest = StateCoding.dateRange.upperBound
        let readAccount = try #require(read.accounts["a"])
        #expect(readAccount.lastPoll == earliest)
        #expect(readAccount.lastSuccess == latest)
        #expect(readAccount.consecutiveFailures == StateCoding.maximumCount)
        #expect(readAccount.connectors["c"]?.statusSince == latest)
        #expect(readAccount.connectors["c"]?.lastSeen == earliest)
        #expect(readAccount.connectors["c"]?.missingCount == 0)
    }

    @Test func writingInPiecesGivesTheSameBytes() throws {
        var accounts: [String: AccountState] = [:]
        for index in 0..<50 {
            let id = String(format: "%032x", index)
            let connectors = (0..<10).map {
                ConnectorState(id: "c\($0)", statusSince: F.at(Double($0)), lastSeen: F.t0)
            }
            accounts[id] = AccountState(
                accountID: id, name: "a\(index)",
                connectors: Dictionary(uniqueKeysWithValues: connectors.map { ($0.id, $0) }))
        }
        let document = StateDocument(accounts: accounts, journalGeneration: 12)
        let whole = StateJSONWriter.encode(document)
        var pieces: [[UInt8]] = []
        try StateJSONWriter.write(document, chunkSize: 4096) { pieces.append($0) }
        #expect(pieces.joined().elementsEqual(whole))
        #expect(pieces.count > 5, "\(whole.count) bytes in \(pieces.count) pieces")
        // A piece ends at the first account boundary past the chunk size: never much more than it.
        #expect(pieces.dropLast().allSatisfy { $0.count >= 4096 && $0.count < 4096 + 2048 }, "\(pieces.map(\.count))")
    }

    @Test func aDocumentWithAnImpossibleDateIsSavedAndLoads() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let bad = StateDocument(
                accounts: [
                    "b": AccountState(accountID: "b", name: "b", lastPoll: Date(timeIntervalSinceReferenceDate: .nan))
                ])
            try StateFile.save(bad, path: path)
            let loaded = try StateFile.load(path: path)
            #expect(loaded.outcome == .loaded)
            #expect(loaded.document.accounts["b"]?.lastPoll == StateCoding.dateRange.lowerBound)
        }
    }

    @Test func aSavedFileReadsBack() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let baseline = F.poll(nil, [F.connector("c1", "pending"), F.connector("c2", "verified")])
            var document = StateDocument()
            document.record(baseline, enqueue: [])
            let written = try StateFile.save(document, path: path)
            #expect(try StateFile.load(path: path).document == document)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            document.journalGeneration = written.generation
            #expect(bytes == StateCoding.encode(document))
            #expect(bytes.count == written.bytes)
        }
    }
}

/// The daemon's incremental `STATUS=` tally must say what `StatusLine.render` says.
@Suite struct StatusTallyTests {
    typealias F = MonitorFixtures

    private func accountState(_ index: Int, statuses: [String?], error: String? = nil) -> AccountState {
        var connectors: [String: ConnectorState] = [:]
        for (position, status) in statuses.enumerated() {
            let id = "a\(index)c\(position)"
            connectors[id] = ConnectorState(
                id: id, status: status.flatMap(VerificationStatus.init(rawValue:)), rawStatus: status,
                statusSince: F.t0, lastSeen: F.t0)
        }
        return AccountState(
            accountID: String(format: "%032x", index), name: "acct\(index)", baselineDone: true, lastError: error,
            consecutiveFailures: error == nil ? 0 : 1, connectors: connectors)
    }

    @Test func followsUpdatesOneAccountAtATime() {
        let configs = (0..<8).map { index in
            F.account("acct\(index)", id: String(format: "%032x", index), enabled: index != 5)
        }
        let configuration = F.configuration(accounts: configs, webhooks: [F.webhook("ops"), F.webhook("audit")])
        var state = StateDocument()
        state.accounts[configs[0].accountID] = accountState(0, statuses: ["verified", "pending", nil])
        state.accounts[configs[5].accountID] = accountState(5, statuses: ["failed"], error: "disabled, not counted")
        state.accounts["ffffffffffffffffffffffffffffffff"] = accountState(99, statuses: ["verified"])
        state.outbox = [OutboxEntry(event: F.event(.verified), webhook: "ops", enqueuedAt: F.t0)]
        state.webhooks["audit"] = WebhookDeliveryState(lastError: "HTTP 500", failing: true)

        var tally = StatusTally(state: state, configuration: configuration)
        #expect(
            tally.render(state: state, configuration: configuration)
                == StatusLine.render(state: state, configuration: configuration))

        let steps: [(Int, [String?], String?)] = [
            (3, ["awaiting", "weird"], nil), (7, ["failed"], "HTTP 403: Authentication error"),
            (1, [], "connection refused"), (6, ["pending"], "timeout"), (2, ["verified"], "HTTP 502"),
            (7, ["verified", "verified"], nil), (0, [], nil), (4, ["pending"], "HTTP 429"), (5, ["verified"], nil),
        ]
        for (index, statuses, error) in steps {
            let updated = accountState(index, statuses: statuses, error: error)
            state.accounts[configs[index].accountID] = updated
            tally.update(accountID: configs[index].accountID, state: updated)
            tally.update(accountID: "not-configured", state: updated)
            #expect(
                tally.render(state: state, configuration: configuration)
                    == StatusLine.render(state: state, configuration: configuration))
        }
        #expect(
            tally.render(state: state, configuration: configuration).contains("accounts failing (acct1: "),
            "failing accounts are named in configuration order")
    }
}
