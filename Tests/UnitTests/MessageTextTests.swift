import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The wording every service shares (docs/NOTIFICATIONS.md), durations, times and truncation.
@Suite struct MessageTextTests {
    static func plain(_ kind: EventKind, domain: String = "example.com") -> String {
        let text = ChatText(NotifyFixtures.event(kind, domain: domain))
        return
            ([text.title, text.summary] + text.facts.map { [.text($0.label + ": ")] + $0.value }
            + [text.action ?? []]).map(Markup.plain.render).joined(separator: "\n")
    }

    @Test func everyMessageSaysWhatWhereWhenAndWhich() {
        for kind in EventKind.allCases {
            let text = Self.plain(kind)
            #expect(text.contains("example.com"), "\(kind)")
            #expect(text.contains("Account: prod"), "\(kind)")
            #expect(text.contains("2026-11-29 10:00:00 UTC"), "\(kind)")
            #expect(text.contains("Connector: 7d1f5b0c2a9e4f3d8c6b1a0e9d8c0000"), "\(kind)")
        }
    }

    @Test func statusChangesSayThePreviousStatusAndHowLongItLasted() {
        let text = Self.plain(.verified)
        #expect(text.contains("changed from pending to verified at 2026-11-29 10:00:00 UTC, after 1d 2h in pending."))
        #expect(text.contains("Previous status: pending for 1d 2h (since 2026-11-28 07:48:00 UTC)"))
    }

    @Test func failedSaysExactlyWhatToDo() {
        let text = Self.plain(.failed)
        #expect(
            text.contains(
                "What to do: publish a DNS TXT record named example.com (the email domain itself) whose value is "
                    + "the whole code cloudflare_dashboard_sso=7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a, then run "
                    + "ssowatch connectors begin-verification 7d1f5b0c2a9e4f3d8c6b1a0e9d8c0000 --account prod"))
        let noCode = ChatText(NotifyFixtures.event(.failed, code: nil))
        #expect(
            Markup.plain.render(noCode.action ?? []).contains(
                "ssowatch connectors get 7d1f5b0c2a9e4f3d8c6b1a0e9d8c0000"))
    }

    @Test func stuckMentionsTheTwoDayWindowAndTheRecord() {
        let text = Self.plain(.stuck)
        #expect(text.contains("example.com is still pending"))
        #expect(text.contains("has been pending for 2d 3h"))
        #expect(text.contains("Cloudflare stops checking after about two days"))
        #expect(text.contains("TXT record value: cloudflare_dashboard_sso="))
        #expect(ChatText(NotifyFixtures.event(.stuck)).tone == .warning)
    }

    @Test func otherKindsHaveTheirOwnWording() {
        #expect(Self.plain(.appeared).contains("A new SSO connector for example.com appeared in account prod"))
        #expect(Self.plain(.removed).contains("its last known status was verified"))
        #expect(Self.plain(.awaiting).contains("Verification has not started"))
        #expect(Self.plain(.pending).contains("changed from awaiting to pending"))
        #expect(ChatText(NotifyFixtures.event(.verified)).tone == .good)
        #expect(ChatText(NotifyFixtures.event(.failed)).tone == .danger)
        #expect(ChatText(NotifyFixtures.event(.pending)).tone == .neutral)
    }

    @Test func batchSummaryCountsKindsAndPutsFailedFirst() {
        let batch = BatchText(NotifyFixtures.batch(count: 12, failedEvery: 3))
        #expect(Markup.plain.render(batch.summary) == "12 SSO domain changes in account prod: 8 verified, 4 failed.")
        #expect(Markup.plain.render(batch.lines[0]).hasPrefix("🚨 team3.example.com failed (was pending, after 2d)"))
        #expect(Markup.plain.render(batch.lines[0]).hasSuffix("TXT value \(NotifyFixtures.code)"))
        #expect(Markup.plain.render(batch.lines[4]).hasPrefix("✅ team1.example.com verified"))
        var events = NotifyFixtures.batch(count: 4, failedEvery: 9)
        events[1].accountName = "staging"
        #expect(Markup.plain.render(BatchText(events).summary) == "4 SSO domain changes in 2 accounts: 4 verified.")
        #expect(Markup.plain.render(BatchText(events).lines[1]).contains(" · account staging · "))
    }

    static let durationCases: [(Double, String)] = [
        (0, "0s"), (12, "12s"), (-5, "0s"), (250, "4m 10s"), (3600, "1h"), (3 * 3600 + 300, "3h 5m"),
        (86_400 + 2 * 3600 + 59, "1d 2h"), (2 * 86_400 + 1800, "2d"), (400 * 86_400, "400d"),
    ]

    @Test(arguments: durationCases)
    func durations(seconds: Double, expected: String) {
        #expect(NotifyTime.duration(seconds) == expected)
    }

    @Test func timesAreUTCWithoutFractions() {
        let date = Date(timeIntervalSince1970: 1_795_946_400.75)
        #expect(NotifyTime.iso8601(date) == "2026-11-29T10:00:00Z")
        #expect(NotifyTime.human(date) == "2026-11-29 10:00:00 UTC")
        #expect(NotifyTime.iso8601(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(NotifyTime.iso8601(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
    }

    @Test func truncationNeverSplitsCharactersOrEscapes() {
        #expect(Truncation.truncate("abcdef", to: 4) == "abc…")
        #expect(Truncation.truncate("abc", to: 3) == "abc")
        // 😀 is two UTF-16 units: it is kept whole or dropped whole.
        #expect(Truncation.truncate("a😀b", to: 3) == "a…")
        #expect(Truncation.truncate("a😀bc", to: 4) == "a😀…")
        #expect(Truncation.truncate("x&amp;y", to: 5) == "x…")
        #expect(Truncation.truncate("x&amp;y", to: 7) == "x&amp;y")
        #expect(Truncation.truncate("x\\*y\\*", to: 3) == "x…")
        #expect(Truncation.truncate("👩‍👩‍👧‍👦 family", to: 12) == "👩‍👩‍👧‍👦…")
        // Bytes: ü is two, … is three.
        #expect(Truncation.truncate("üüüü", to: 7, in: .utf8) == "üü…")
        #expect(Truncation.truncate("abc", to: 2, in: .utf8) == "")
    }

    @Test func largestFittingFindsTheBoundary() {
        #expect(Truncation.largestFitting(upTo: 500) { $0 <= 137 } == 137)
        #expect(Truncation.largestFitting(upTo: 10) { _ in true } == 10)
        #expect(Truncation.largestFitting(upTo: 10) { _ in false } == 0)
    }

    @Test func jsonWriterEscapesControlCharactersAndKeepsKeyOrder() {
        let value = JSONValue.obj(["z": .string("a\"b\\c\n\u{1}é"), "a": .array([.int(-1), .bool(true), .null])])
        #expect(value.text == #"{"z":"a\"b\\c\n\u0001é","a":[-1,true,null]}"#)
    }
}
