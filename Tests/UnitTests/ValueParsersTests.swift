import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchState

@Suite struct ValueParsersTests {
    @Test(arguments: [
        ("45s", 45.0), ("5m", 300), ("2h", 7_200), ("1h30m", 5_400), ("1d", 86_400), ("90", 90), ("0", 0),
        ("0s", 0), ("1d12h", 129_600), ("1h1m1s", 3_661), ("10m30s", 630),
    ])
    func durations(text: String, seconds: Double) {
        #expect(ValueParsers.duration(text) == seconds)
    }

    @Test(arguments: ["", "5x", "m", "5 m", "1.5h", "30m1h", "1h1h", "-5s", "5M", "1w", "s5", "99999999999d"])
    func invalidDurations(text: String) {
        #expect(ValueParsers.duration(text) == nil)
    }

    @Test func booleans() {
        for text in ["true", "yes", "on", "1", "TRUE", "Yes"] { #expect(ValueParsers.bool(text) == true) }
        for text in ["false", "no", "off", "0", "Off"] { #expect(ValueParsers.bool(text) == false) }
        for text in ["", "y", "2", "enabled", "truee"] { #expect(ValueParsers.bool(text) == nil) }
    }

    @Test func lists() {
        #expect(ValueParsers.list("verified, failed") == ["verified", "failed"])
        #expect(ValueParsers.list(" a ,b,, c ") == ["a", "b", "c"])
        #expect(ValueParsers.list("") == [])
        #expect(ValueParsers.list("one") == ["one"])
    }

    @Test func percentages() {
        #expect(ValueParsers.percentage("10%") == 0.10)
        #expect(ValueParsers.percentage("12.5%") == 0.125)
        #expect(ValueParsers.percentage("0%") == 0)
        #expect(ValueParsers.percentage("10") == nil)
        #expect(ValueParsers.percentage("%") == nil)
        #expect(ValueParsers.percentage("-5%") == nil)
        #expect(ValueParsers.percentage("ten%") == nil)
    }

    @Test func rateLimits() {
        #expect(ValueParsers.rateLimit("1000/5m") == RateLimit(requests: 1000, window: 300))
        #expect(ValueParsers.rateLimit("10 / 60") == RateLimit(requests: 10, window: 60))
        #expect(ValueParsers.rateLimit("1/1s") == RateLimit(requests: 1, window: 1))
        for text in ["0/5m", "1000", "1000/0", "1000/5x", "/5m", "1000/", "a/5m", "1/2/3", "-1/5m"] {
            #expect(ValueParsers.rateLimit(text) == nil, "\(text)")
        }
    }

    @Test func integers() {
        #expect(ValueParsers.integer("4") == 4)
        #expect(ValueParsers.integer("064") == 64)
        #expect(ValueParsers.integer("-4") == nil)
        #expect(ValueParsers.integer("4.0") == nil)
        #expect(ValueParsers.integer("") == nil)
    }

    @Test func formattingDurations() {
        #expect(ValueParsers.formatDuration(45) == "45s")
        #expect(ValueParsers.formatDuration(300) == "5m")
        #expect(ValueParsers.formatDuration(5_400) == "1h30m")
        #expect(ValueParsers.formatDuration(86_400) == "1d")
        #expect(ValueParsers.formatDuration(90_061) == "1d1h1m1s")
        #expect(ValueParsers.formatDuration(0) == "0s")
        #expect(ValueParsers.formatDuration(0.2) == "1s")
        // Formatting and parsing agree.
        for seconds in [1.0, 59, 61, 3_600, 3_661, 86_399, 172_800] {
            #expect(ValueParsers.duration(ValueParsers.formatDuration(seconds)) == seconds)
        }
    }

    @Test func formattingPercentages() {
        #expect(ValueParsers.formatPercentage(0.1) == "10%")
        #expect(ValueParsers.formatPercentage(0.125) == "12.5%")
        #expect(ValueParsers.formatPercentage(0.5) == "50%")
    }

    @Test func editDistanceAndSuggestions() {
        #expect(ValueParsers.editDistance("kitten", "sitting") == 3)
        #expect(ValueParsers.editDistance("", "abc") == 3)
        #expect(ValueParsers.editDistance("same", "same") == 0)
        let keys = ["poll_interval", "account_id", "webhooks", "enabled"]
        #expect(ValueParsers.suggestion(for: "pol_interval", among: keys) == "poll_interval")
        #expect(ValueParsers.suggestion(for: "acount_id", among: keys) == "account_id")
        #expect(ValueParsers.suggestion(for: "Poll-Interval", among: keys) == "poll_interval")
        #expect(ValueParsers.suggestion(for: "webhook", among: keys) == "webhooks")
        #expect(ValueParsers.suggestion(for: "colour", among: keys) == nil)
        #expect(ValueParsers.suggestion(for: "acc", among: keys) == "account_id")
        #expect(ValueParsers.suggestion(for: "ac", among: keys) == nil)
        #expect(
            ValueParsers.suggestion(for: "googlechat", among: WebhookType.allCases.map(\.rawValue)) == "google-chat")
    }
}
