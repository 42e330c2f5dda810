import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The fast state-file reader may only make loading faster: whatever it reads must be exactly what
/// `JSONDecoder` reads, and whatever it is unsure of it leaves to `JSONDecoder`.
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

    /// What `StateFile.load` decides without the fast reader: the version probe, then `JSONDecoder`.
    private static func reference(_ bytes: [UInt8]) -> StateDocument? {
        let data = Data(bytes)
        guard let version = try? StateCoding.probeVersion(data), (1...StateDocument.currentVersion).contains(version)
        else { return nil }
        return try? StateCoding.decode(data)
    }

    private static func text(_ document: StateDocument, pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.timeIntervalSinceReferenceDate)
        }
        return [UInt8](try encoder.encode(document))
    }

    @Test func readsWhatTheWriterAndJSONEncoderWrite() throws {
        for bytes in [
            try #require(StateJSONWriter.encode(Self.document)), try Self.text(Self.document),
            try Self.text(Self.document, pretty: true),
        ] {
            let fast = try #require(StateCoding.decodeFast(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(fast == Self.document)
            #expect(fast.journalGeneration == Self.document.journalGeneration)
            #expect(fast == Self.reference(bytes))
        }
    }

    @Test func escapesAreReadAsJSONDecoderReadsThem() throws {
        var bytes = try #require(StateJSONWriter.encode(Self.document))
        var text = String(decoding: bytes, as: UTF8.self)
        // Other spellings of the same strings: `\/`, `\u` escapes, a surrogate pair.
        text = text.replacingOccurrences(of: "\"prod\"", with: "\"\\u0070r\\/od\\ud83d\\ude00\"")
        bytes = Array(text.utf8)
        let fast = try #require(StateCoding.decodeFast(bytes))
        #expect(fast.accounts[F.accountID]?.name == "pr/od😀")
        #expect(fast == Self.reference(bytes))
    }

    @Test func leavesWhatItWasNotWrittenForToJSONDecoder() throws {
        let written = String(decoding: try #require(StateJSONWriter.encode(Self.document)), as: UTF8.self)
        let variants: [(String, String)] = [
            ("an unknown key", written.replacingOccurrences(of: "{\"accounts\"", with: "{\"extra\":1,\"accounts\"")),
            ("a repeated key", written.replacingOccurrences(of: "\"version\":1", with: "\"version\":1,\"version\":1")),
            ("a count with a fraction", written.replacingOccurrences(of: "\"attempts\":2", with: "\"attempts\":2.0")),
            ("a byte order mark", "\u{FEFF}" + written),
            ("a lone surrogate", written.replacingOccurrences(of: "\"prod\"", with: "\"\\ud800\"")),
            ("an unknown status", written.replacingOccurrences(of: "\"to\":\"failed\"", with: "\"to\":\"revoked\"")),
            ("a newer version", written.replacingOccurrences(of: "\"version\":1", with: "\"version\":2")),
            ("a negative count", written.replacingOccurrences(of: "\"missing_count\":2", with: "\"missing_count\":-2")),
            ("trailing text", written + "x"),
            ("a leading zero", written.replacingOccurrences(of: "\"attempts\":2", with: "\"attempts\":02")),
        ]
        for (what, text) in variants {
            #expect(text != written, "\(what): the variant differs")
            #expect(StateCoding.decodeFast(Array(text.utf8)) == nil, "\(what)")
        }
        var invalid = Array(written.utf8)
        let name = try #require(written.utf8.firstRange(of: "\"prod\"".utf8))
        invalid[written.utf8.distance(from: written.utf8.startIndex, to: name.lowerBound) + 1] = 0xFF
        #expect(StateCoding.decodeFast(invalid) == nil, "invalid UTF-8")
    }

    /// Thousands of damaged copies: whenever the fast reader accepts one, `JSONDecoder` reads the same.
    @Test func neverAcceptsWhatJSONDecoderReadsDifferently() throws {
        let original = try #require(StateJSONWriter.encode(Self.document))
        var accepted = 0
        for bytes in damagedCopies(of: original, count: 3_000, seed: 0x5EED) {
            guard let fast = StateCoding.decodeFast(bytes) else { continue }
            accepted += 1
            let reference = Self.reference(bytes)
            #expect(fast == reference, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(fast.journalGeneration == reference?.journalGeneration)
        }
        #expect(accepted > 0, "some damage is harmless (inside a string), and those copies are read")
    }
}
