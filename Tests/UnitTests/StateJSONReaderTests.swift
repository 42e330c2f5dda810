import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The state file reader reads docs/STATE.md: whatever it accepts, Foundation's `JSONSerialization` (the oracle)
/// parses to the same values, and whatever it refuses it refuses with a reason that names the place.
@Suite struct StateJSONReaderTests {
    typealias F = MonitorFixtures

    /// A document with every kind of value, a few escapes and a non-BMP character.
    private static let document: StateDocument = {
        var event = F.event(.failed, connector: "c1", at: F.at(0.5))
        event.previousStatus = .pending
        event.previousStatusSince = F.at(-86_400.25)
        event.verificationCode = "cloudflare_dashboard_sso=\"c1\"\n😀"
        let connector = ConnectorState(
            id: "c1", emailDomain: "é.example.com", enabled: true, status: .failed, rawStatus: "failed",
            statusSince: F.at(0.5), lastSeen: F.at(1), missingCount: 2, stuckNotified: true,
            verificationCode: "a\\b/c",
            history: [TransitionRecord(at: F.at(0.5), from: .pending, to: .failed, eventID: event.id)])
        let account = AccountState(
            accountID: F.accountID, name: "prod", baselineDone: true, lastPoll: F.at(1), lastSuccess: F.at(1),
            lastError: "HTTP 500\t<html>", consecutiveFailures: 1,
            connectors: ["c1": connector, "c2": ConnectorState(id: "c2", statusSince: F.t0, lastSeen: F.t0)])
        return StateDocument(
            accounts: [F.accountID: account],
            outbox: [
                OutboxEntry(
                    event: event, webhook: "ops", enqueuedAt: F.at(0.5), attempts: 2, nextAttemptAt: F.at(9),
                    lastError: "timeout", permanentFailure: false, urlFingerprint: "ab12")
            ],
            webhooks: ["ops": WebhookDeliveryState(lastError: "timeout", failing: true, lastSuccess: nil)],
            journalGeneration: 4_503_599_627_370_495)
    }()

    private static func read(_ text: String) throws(JSONReadError) -> StateDocument {
        try StateJSONReader.document(Array(text.utf8))
    }

    /// The reason `StateFile.load` gives for `text`.
    private static func reason(_ text: String) -> String? {
        guard case .corrupt(let reason) = StateCoding.contents(of: Array(text.utf8)) else { return nil }
        return reason
    }

    @Test func readsWhatTheWriterAndJSONEncoderWrite() throws {
        for bytes in [
            StateJSONWriter.encode(Self.document), try StateFormatOracle.encoded(Self.document),
            try StateFormatOracle.encoded(Self.document, pretty: true),
        ] {
            let read = try StateJSONReader.document(bytes)
            #expect(read == Self.document, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(read.journalGeneration == Self.document.journalGeneration)
        }
    }

    @Test func escapesAreReadAsFoundationReadsThem() throws {
        var text = String(decoding: StateJSONWriter.encode(Self.document), as: UTF8.self)
        // Other spellings of the same strings: `\/`, `\u` escapes, a surrogate pair.
        text = text.replacingOccurrences(of: "\"prod\"", with: "\"\\u0070r\\/od\\ud83d\\ude00\"")
        let read = try Self.read(text)
        #expect(read.accounts[F.accountID]?.name == "pr/od😀")
        let tree = StateFormatOracle.tree(read)
        #expect(
            try StateFormatOracle.parsed(Array(text.utf8), like: tree) as? NSDictionary == tree.foundation
                as? NSDictionary)
    }

    @Test func readsWhatJSONDecoderRead() throws {
        let written = String(decoding: StateJSONWriter.encode(Self.document), as: UTF8.self)
        let variants: [(String, String)] = [
            (
                "an unknown key",
                written.replacingOccurrences(of: "{\"accounts\"", with: "{\"extra\":[1,{}],\"accounts\"")
            ),
            ("a repeated key", written.replacingOccurrences(of: "\"version\":1", with: "\"version\":1,\"version\":7")),
            ("a count with a fraction", written.replacingOccurrences(of: "\"attempts\":2", with: "\"attempts\":2.0")),
            (
                "a null for an absent value",
                written.replacingOccurrences(of: "\"from\":\"pending\"", with: "\"from\":null")
            ),
            ("a byte order mark", "\u{FEFF}" + written),
        ]
        for (what, text) in variants {
            #expect(text != written, "\(what): the variant differs")
            var read = try Self.read(String(decoding: JSONByteReader.utf8Text(Array(text.utf8)), as: UTF8.self))
            if what.contains("null") {
                #expect(read.accounts[F.accountID]?.connectors["c1"]?.history.first?.from == nil)
                read.accounts[F.accountID]?.connectors["c1"]?.history[0].from = .pending
            }
            #expect(read == Self.document, "\(what)")
        }
    }

    @Test func refusesWhatTheFormatDoesNotAllowAndSaysWhereAndWhy() {
        let written = String(decoding: StateJSONWriter.encode(Self.document), as: UTF8.self)
        let connector = "accounts.\(F.accountID).connectors.c1"
        // A lone surrogate: no Swift string holds one, so ssowatch never writes it.
        let lone = written.replacingOccurrences(of: "\"prod\"", with: "\"\\ud800\"")
        let loneOffset = lone.utf8.distance(
            from: lone.utf8.startIndex,
            to: lone.utf8.firstRange(of: "\"\\ud800\"".utf8)?.lowerBound ?? lone.utf8.startIndex)
        let variants: [(String, String)] = [
            (
                written.replacingOccurrences(of: "\"to\":\"failed\"", with: "\"to\":\"revoked\""),
                "unknown status \"revoked\" at \(connector).history[0].to"
            ),
            (
                written.replacingOccurrences(of: "\"missing_count\":2", with: "\"missing_count\":-2"),
                "count -2 is out of range (0 to 2147483647) at \(connector).missing_count"
            ),
            (
                written.replacingOccurrences(of: "\"stuck_notified\":true", with: "\"stuck_notified\":1"),
                "expected a boolean, found 1 at \(connector).stuck_notified"
            ),
            (
                written.replacingOccurrences(of: "\"attempts\":2", with: "\"attempts\":2.5"),
                "expected an integer, found 2.5 at outbox[0].attempts"
            ),
            (
                written.replacingOccurrences(of: "\"kind\":\"failed\"", with: "\"kind\":\"exploded\""),
                "unknown event kind \"exploded\" at outbox[0].event.kind"
            ),
            (
                written.replacingOccurrences(of: "\"webhook\":\"ops\"", with: "\"hook\":\"ops\""),
                "missing key \"webhook\" in outbox[0]"
            ),
            (written + "x", "not valid JSON at byte \(written.utf8.count + 1): expected the end of the text"),
            (lone, "not valid JSON at byte \(loneOffset + 1): invalid UTF-8 or an invalid escape in the string"),
        ]
        for (text, expected) in variants {
            #expect(text != written)
            #expect(Self.reason(text) == expected)
        }
    }

    /// Thousands of damaged copies: whenever the reader accepts one, Foundation parses it to the same values;
    /// whenever it refuses one, it says why in one line.
    @Test func acceptsOnlyWhatFoundationReadsTheSame() throws {
        let original = StateJSONWriter.encode(Self.document)
        var accepted = 0
        for bytes in damagedCopies(of: original, count: 3_000, seed: 0x5EED) {
            let read: StateDocument
            do {
                read = try StateJSONReader.document(bytes)
            } catch {
                #expect(!error.description.contains("\n"))
                continue
            }
            accepted += 1
            let tree = StateFormatOracle.tree(read)
            let parsed = try? StateFormatOracle.parsed(bytes, like: tree)
            #expect(
                parsed as? NSDictionary == tree.foundation as? NSDictionary, "\(String(decoding: bytes, as: UTF8.self))"
            )
        }
        #expect(accepted > 0, "some damage is harmless (inside a string), and those copies are read")
    }
}
