import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// One malformed configuration: the file's bytes, the line the error must point at, and a fragment of its message.
struct MalformedConfig: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let line: Int
    let fragment: String
    var environment = ConfigFixture.environment
    var files: [String: String] = [:]

    init(
        _ label: String, _ lines: [String], line: Int, _ fragment: String,
        environment: [String: String] = ConfigFixture.environment, files: [String: String] = [:]
    ) {
        self.init(
            label, bytes: Array((lines.joined(separator: "\n") + "\n").utf8), line: line, fragment,
            environment: environment, files: files)
    }

    init(
        _ label: String, bytes: [UInt8], line: Int, _ fragment: String,
        environment: [String: String] = ConfigFixture.environment, files: [String: String] = [:]
    ) {
        self.label = label
        self.bytes = bytes
        self.line = line
        self.fragment = fragment
        self.environment = environment
        self.files = files
    }

    var testDescription: String { label }
}

private let account = ConfigFixture.account
private let id = ConfigFixture.accountID
private func webhook(_ type: String = "slack", _ extra: [String] = []) -> [String] {
    ConfigFixture.webhook(type, extra)
}

private let malformed: [MalformedConfig] = [
    MalformedConfig("key before any section", ["poll_interval = 5m"] + account, line: 1, "before any section header"),
    MalformedConfig(
        "unknown section with hint", account + ["[acount \"x\"]"], line: 3,
        "unknown section [acount]; did you mean [account \"NAME\"]?"),
    MalformedConfig(
        "unknown section", account + ["[logging]"], line: 3,
        "unknown section [logging] (sections are [daemon], [account \"NAME\"] and [webhook \"NAME\"])"),
    MalformedConfig(
        "unknown key with hint", account + ["pol_interval = 5m"], line: 3,
        "unknown key `pol_interval` in [account \"prod\"]; did you mean `poll_interval`?"),
    MalformedConfig(
        "unknown key without hint", ["[daemon]", "colour = blue"] + account, line: 2,
        "unknown key `colour` in [daemon] (valid keys: state_file, poll_interval"),
    MalformedConfig(
        "daemon key in account", account + ["rate_limit = 10/1m"], line: 3,
        "`rate_limit` is not valid in [account \"prod\"]; it belongs in [daemon]"),
    MalformedConfig(
        "account key in webhook", account + webhook("slack", ["account_id = \(id)"]), line: 6,
        "`account_id` is not valid in [webhook \"chat\"]; it belongs in [account \"NAME\"]"),
    MalformedConfig(
        "generic-only key on slack", account + webhook("slack", ["secret = whsec_c2VjcmV0"]), line: 6,
        "`secret` is only for webhooks of type `generic`; this one is `slack`"),
    MalformedConfig(
        "key in wrong case", account + ["Poll_Interval = 5m"], line: 3,
        "keys are case-sensitive lower_snake_case: write `poll_interval`"),
    MalformedConfig(
        "duplicate key", account + ["enabled = yes", "account_id = \(id)"], line: 4,
        "duplicate key `account_id` in [account \"prod\"] (first set at line 2)"),
    MalformedConfig(
        "repeated daemon", ["[daemon]"] + account + ["[daemon]"], line: 4,
        "repeated [daemon] section (the first is at line 1)"),
    MalformedConfig(
        "repeated account name", account + ["[account \"prod\"]"], line: 3,
        "repeated [account \"prod\"] (the first is at line 1)"),
    MalformedConfig(
        "repeated webhook name", account + webhook() + webhook(), line: 6,
        "repeated [webhook \"chat\"] (the first is at line 3)"),
    MalformedConfig(
        "same account_id twice", account + ["[account \"copy\"]", "account_id = \(id.uppercased())"],
        line: 4, "account_id is the same as in [account \"prod\"] (line 2)"),
    MalformedConfig("daemon with a name", ["[daemon \"main\"]"] + account, line: 1, "[daemon] takes no name"),
    MalformedConfig("account without a name", ["[account]"], line: 1, "[account] needs a name"),
    MalformedConfig(
        "invalid duration", account + ["poll_interval = 5x"], line: 3,
        "poll_interval: `5x` is not a duration; write e.g. `45s`"),
    MalformedConfig(
        "poll_interval zero", account + ["poll_interval = 0"], line: 3,
        "poll_interval must be at least 1s (got 0s)"),
    MalformedConfig(
        "jitter above 50%", ["[daemon]", "jitter = 60%"] + account, line: 2,
        "jitter must be between 0% and 50% (got 60%)"),
    MalformedConfig(
        "jitter above half the interval", ["[daemon]", "jitter = 3m", "poll_interval = 5m"] + account,
        line: 2, "jitter 3m is more than half of poll_interval (5m)"),
    MalformedConfig(
        "jitter not a value", ["[daemon]", "jitter = lots"] + account, line: 2,
        "jitter: `lots` is neither a percentage"),
    MalformedConfig(
        "request_timeout too long", ["[daemon]", "request_timeout = 10m"] + account, line: 2,
        "request_timeout must be between 1s and 5m (got 10m)"),
    MalformedConfig(
        "webhook timeout zero", account + webhook("slack", ["timeout = 0s"]), line: 6,
        "timeout must be between 1s and 5m (got 0s)"),
    MalformedConfig(
        "delivery_max_age too short", ["[daemon]", "delivery_max_age = 30s"] + account, line: 2,
        "delivery_max_age must be at least 1m (got 30s)"),
    MalformedConfig(
        "max_concurrent_requests zero", ["[daemon]", "max_concurrent_requests = 0"] + account, line: 2,
        "max_concurrent_requests must be between 1 and 64 (got 0)"),
    MalformedConfig(
        "max_concurrent_requests not a number", ["[daemon]", "max_concurrent_requests = four"] + account,
        line: 2, "max_concurrent_requests: `four` is not a whole number"),
    MalformedConfig(
        "rate_limit zero requests", ["[daemon]", "rate_limit = 0/5m"] + account, line: 2,
        "rate_limit: `0/5m` is not `N/W`"),
    MalformedConfig(
        "stuck_after not a duration", ["[daemon]", "stuck_after = soon"] + account, line: 2,
        "stuck_after: `soon` is not a duration"),
    MalformedConfig(
        "state_file relative", ["[daemon]", "state_file = state.json"] + account, line: 2,
        "state_file must be an absolute path"),
    MalformedConfig(
        "log_level with hint", ["[daemon]", "log_level = warn"] + account, line: 2,
        "log_level: `warn` is not a log level; did you mean `warning`?"),
    MalformedConfig(
        "invalid boolean", account + ["enabled = maybe"], line: 3,
        "enabled: `maybe` is not a boolean; write true/false, yes/no, on/off or 1/0"),
    MalformedConfig(
        "api_base_url plain http", ["[daemon]", "api_base_url = http://api.example.com/v4"] + account,
        line: 2, "http:// is accepted only for loopback hosts"),
    MalformedConfig(
        "api_base_url not a URL", ["[daemon]", "api_base_url = api.cloudflare.com"] + account, line: 2,
        "api_base_url is not an absolute http(s) URL"),
    MalformedConfig(
        "account_id too short", ["[account \"prod\"]", "account_id = 023e105f"], line: 2,
        "account_id must be 32 hexadecimal characters"),
    MalformedConfig(
        "account_id not hex", ["[account \"prod\"]", "account_id = \(id.dropLast())g"], line: 2,
        "account_id must be 32 hexadecimal characters"),
    MalformedConfig(
        "two token sources", account + ["api_token = abc", "api_token_env = TOKEN"], line: 4,
        "`api_token_env` and `api_token` (line 3) both give api_token", environment: ["TOKEN": "t"]),
    MalformedConfig(
        "two url sources", account + webhook("slack", ["url_file = /run/url"]), line: 6,
        "`url_file` and `url` (line 5) both give url"),
    MalformedConfig(
        "missing account_id", ["[account \"prod\"]", "enabled = true"], line: 1,
        "[account \"prod\"] is missing account_id"),
    MalformedConfig(
        "missing webhook type", account + ["[webhook \"chat\"]", "url = https://a.example/x"], line: 3,
        "[webhook \"chat\"] is missing `type`"),
    MalformedConfig(
        "missing webhook url", account + ["[webhook \"chat\"]", "type = discord"], line: 3,
        "[webhook \"chat\"] is missing its URL: set one of url, url_file, url_env, url_credential"),
    MalformedConfig(
        "unknown webhook type", account + webhook("slak"), line: 4,
        "unknown webhook type `slak`; did you mean `slack`?"),
    MalformedConfig(
        "unreadable token file", account + ["api_token_file = /run/missing"], line: 3,
        "cannot read api_token_file /run/missing: No such file or directory"),
    MalformedConfig(
        "empty token file", account + ["api_token_file = /run/token"], line: 3,
        "api_token_file /run/token is empty", files: ["/run/token": " \n\n"]),
    MalformedConfig(
        "token file with two words", account + ["api_token_file = /run/token2"], line: 3,
        "api_token_file /run/token2: the token contains whitespace (U+0020) at position 4; a token is a single word",
        files: ["/run/token2": "abc def\n"]),
    MalformedConfig("empty inline token", account + ["api_token ="], line: 3, "`api_token` is empty"),
    MalformedConfig(
        "unset token variable", account + ["api_token_env = NOPE"], line: 3,
        "environment variable NOPE (from `api_token_env`) is not set"),
    MalformedConfig(
        "credential without CREDENTIALS_DIRECTORY", account + ["api_token_credential = cf"], line: 3,
        "`api_token_credential` needs $CREDENTIALS_DIRECTORY"),
    MalformedConfig(
        "no account section", ["# nothing", "[daemon]", "log_level = info"], line: 1,
        "no [account \"NAME\"] section"),
    MalformedConfig(
        "no API token anywhere", ["[daemon]"] + account, line: 2,
        "no API token for account \"prod\": set api_token_file", environment: [:]),
    MalformedConfig("empty file", ["", "   ", ""], line: 1, "the configuration file is empty"),
    MalformedConfig(
        "NUL byte", account + ["enabled = \u{0}"], line: 1, "not a text file: it contains a NUL byte (line 3)"),
    MalformedConfig(
        "not UTF-8", bytes: Array("[account \"prod\"]\n# caf".utf8) + [0xE9, 0x0A], line: 1,
        "not UTF-8 text (first invalid byte on line 2)"),
    MalformedConfig(
        "webhooks names a missing section", account + ["webhooks = chat, ops"] + webhook(), line: 3,
        "webhooks: there is no [webhook \"ops\"] section (defined: chat)"),
    MalformedConfig(
        "webhooks with a typo", account + ["webhooks = chats"] + webhook(), line: 3,
        "webhooks: there is no [webhook \"chats\"] section; did you mean `chat`?"),
    MalformedConfig(
        "webhooks without webhook sections", account + ["webhooks = chat"], line: 3,
        "webhooks: there is no [webhook \"chat\"] section (no webhooks are defined)"),
    MalformedConfig(
        "unknown event with hint", account + webhook("slack", ["events = verifed, failed"]), line: 6,
        "events: unknown event `verifed`; did you mean `verified`?"),
    MalformedConfig("empty events", account + webhook("slack", ["events = , "]), line: 6, "events is empty"),
    MalformedConfig(
        "webhook url not absolute",
        account + [
            "[webhook \"chat\"]", "type = slack",
            "url = hooks.slack.com/services/T0/B0/XYZ",
        ], line: 5,
        "`url` is not an absolute http(s) URL"),
    MalformedConfig(
        "signing secret without prefix", account + webhook("generic", ["secret = c2VjcmV0"]), line: 6,
        "`secret` is not a Standard Webhooks secret"),
    MalformedConfig("syntax error passes through", account + ["enabled = \"yes"], line: 3, "unterminated quoted value"),
]

@Suite struct ConfigErrorTests {
    @Test(arguments: malformed)
    func malformedConfiguration(_ testCase: MalformedConfig) {
        let files = InMemoryConfigFileSystem(testCase.files).adding(ConfigFixture.path, bytes: testCase.bytes)
        let loader = ConfigLoader(environment: testCase.environment, fileSystem: files)
        do {
            _ = try loader.load(path: ConfigFixture.path)
            Issue.record("expected an error at line \(testCase.line) containing \(testCase.fragment)")
        } catch {
            #expect(error.path == ConfigFixture.path)
            #expect(error.line == testCase.line, "\(error)")
            #expect(error.message.contains(testCase.fragment), "\(error)")
            #expect(error.description.hasPrefix("\(ConfigFixture.path):\(testCase.line): "))
        }
    }

    @Test func enoughDistinctMalformedInputs() {
        let duplicates = Dictionary(grouping: malformed, by: \.bytes).values.filter { $0.count > 1 }
        #expect(duplicates.isEmpty, "same input: \(duplicates.map { $0.map(\.label) })")
        #expect(malformed.count >= 25)
    }

    @Test func unreadableConfigurationFile() {
        let loader = ConfigLoader(environment: [:], fileSystem: InMemoryConfigFileSystem())
        #expect {
            try loader.load(path: "/nope.ini")
        } throws: { error in
            (error as? ConfigError)?.description == "/nope.ini:1: cannot read the configuration file: No such file or "
                + "directory"
        }
    }

    /// Values that are secrets must not appear in any message, whatever went wrong around them.
    @Test func messagesNeverContainSecrets() {
        let token = "Xy9SecretTokenValue0123456789abcdefABCD"
        let url = "hooks.example.com/services/T0/B0/SeCrEtPaTh"
        let cases: [([String], [String: String])] = [
            (account + ["api_token = \(token) extra"], [:]),  // whitespace inside
            (account + ["api_token = \(token)", "api_token_env = T"], ["T": "x"]),
            (account + ["api_token_env = T"], ["T": "\(token)\u{7}"]),
            (account + ["api_token = \"\(token)"], [:]),
            (account + ["\(token)="], [:]),
            (account + ["\(token)"], [:]),
            (account + ["[webhook \"w\"]", "type = slack", "url = \(url)"], [:]),
            (account + ["[webhook \"w\"]", "type = slack", "url_env = U"], ["U": url]),
            (account + ["[webhook \"w\"]", "type = slack", "url = https://\(url)", "url = https://\(url)"], [:]),
            (account + ["[webhook \"w\"]", "type = generic", "url = https://a.example", "secret = \(token)"], [:]),
        ]
        for (lines, environment) in cases {
            guard
                let error = ConfigFixture.error(
                    lines, environment: environment.merging(ConfigFixture.environment) { a, _ in a })
            else {
                Issue.record("expected an error for \(lines)")
                continue
            }
            #expect(!error.description.contains(token), "\(error)")
            #expect(!error.description.contains("SeCrEtPaTh"), "\(error)")
        }
    }
}

extension InMemoryConfigFileSystem {
    /// A copy with one more file.
    func adding(_ path: String, bytes: [UInt8], mode: UInt16 = 0o600) -> InMemoryConfigFileSystem {
        var copy = self
        copy.files[path] = bytes
        copy.modes[path] = mode
        return copy
    }
}
