import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchNotify
@testable import SSOWatchState

/// Regression tests for what fuzzing and the hostile-input corpora found (fuzz/, README "Fuzzing").
/// Each test names the input that used to crash or hang; the state file ones are in
/// `StateFileHostileTests`, the configuration ones also in the integration corpus.
@Suite struct HostileInputRegressionTests {
    // MARK: - APIResponseFuzz: a huge Retry-After

    /// The fuzzer's input: a 429 whose `Retry-After` is 93 digits long. Describing the error
    /// converted 1.1e92 seconds to `Int` and trapped, in `ssowatch poll` and in the daemon.
    @Test func aHugeRetryAfterFromCloudflareIsADayAndDescribable() async throws {
        let digits = String(repeating: "1", count: 93)
        let transport = FakeTransport(
            always: .json(
                429, "{\"success\":false,\"errors\":[{\"code\":971,\"message\":\"Please wait\"}]}",
                headers: [("Retry-After", digits)]))
        let client = CloudflareClient(
            baseURL: "https://api.cloudflare.test/client/v4", token: Secret("t", source: "test"), transport: transport)
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await client.listConnectors(accountID: "023e105f4ecef8ad9ca31a8372d0c353")
        }
        #expect(error?.retryAfter == RetryAfter.maximum)
        #expect(error?.description.contains("Cloudflare asked to wait 1d") == true, "\(String(describing: error))")
    }

    @Test(arguments: ["1e300", "179769313486231570000000000000000000000", "86401", "Fri, 31 Dec 9999 23:59:59 GMT"])
    func retryAfterNeverExceedsADay(value: String) {
        let now = Date(timeIntervalSince1970: 1_795_947_300)
        #expect(RetryAfter.parse(value, now: now) == RetryAfter.maximum)
    }

    @Test func retryAfterKeepsOrdinaryValues() {
        let now = Date(timeIntervalSince1970: 1_795_947_300)
        #expect(RetryAfter.parse("120", now: now) == 120)
        #expect(RetryAfter.parse("86400", now: now) == 86_400)
        #expect(RetryAfter.parse("-1", now: now) == nil)
        #expect(RetryAfter.parse("inf", now: now) == nil)
    }

    @Test func formatSecondsDoesNotTrapOnHugeValues() {
        #expect(formatSeconds(1e300) == "1e+300s")
        #expect(formatSeconds(Double(Int.max)) == "9.22337e+18s")
        #expect(formatSeconds(.infinity) == "infs")
        #expect(formatSeconds(90) == "1m30s")
    }

    // MARK: - Configuration: a multi-megabyte key, control characters

    /// A 5 MB key that is not lower_snake_case made the "did you mean" search compute edit distances
    /// over millions of characters for every known key: minutes of CPU for `check-config`.
    @Test func aSuggestionForAHugeWordIsQuick() {
        let word = "Log" + String(repeating: "Level", count: 200_000)
        let start = ContinuousClock.now
        #expect(ValueParsers.suggestion(for: word, among: ConfigSchema.daemonKeys) == nil)
        #expect(ContinuousClock.now - start < .seconds(5))
        // Near misses are still found, and abbreviations of any length difference too.
        #expect(ValueParsers.suggestion(for: "Poll_Intervall", among: ConfigSchema.daemonKeys) == "poll_interval")
        #expect(ValueParsers.suggestion(for: "warn", among: ["debug", "warning"]) == "warning")
    }

    /// Values, file names and credential names from the file are shown with control characters
    /// escaped, so a message stays one `PATH:LINE: message` line and sends no escape sequence.
    @Test func messagesEscapeControlCharactersFromTheFile() throws {
        let loader = ConfigLoader(environment: ["CREDENTIALS_DIRECTORY": "/nonexistent"])
        let account = "[account \"a\"]\naccount_id = 023e105f4ecef8ad9ca31a8372d0c353\n"
        let cases: [(text: String, expected: String)] = [
            (account + "[daemon]\nlog_level = \u{1B}[31mred\n", "log_level: `\\u{1B}[31mred` is not a log level"),
            (account + "[daemon]\nlog_level = \"a\\nb\\tc\"\n", "log_level: `a\\nb\\tc` is not a log level"),
            (account + "[daemon]\nlog_level = \u{202E}ofni\n", "log_level: `\\u{202E}ofni` is not a log level"),
            (
                account + "api_token_file = \"/x/a\\nb\"\n",
                "cannot read api_token_file /x/a\\nb:"
            ),
            (
                account + "api_token_credential = c\u{7F}\n",
                "cannot read credential c\\u{7F} (/nonexistent/c\\u{7F}):"
            ),
            (
                "[webhook \"ops\"]\ntype = slack\nurl = https://hooks.example/x\n" + account
                    + "api_token = t\nwebhooks = \"ops\\nx\"\n",
                "there is no [webhook \"ops\\nx\"] section"
            ),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: ConfigError.self) { try loader.parse(text: text, path: "/etc/x.ini") }
            let message = error?.message ?? ""
            #expect(message.contains(expected), "\(message.debugDescription)")
            #expect(!message.unicodeScalars.contains { $0.properties.generalCategory == .control })
        }
    }
}
