import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

@Suite struct ConfigLoaderTests {
    let account = ConfigFixture.account

    static let fullExample = """
        # ssowatch test configuration
        [daemon]
        state_file = /srv/ssowatch/state.json
        poll_interval = 2m
        jitter = 30s
        api_base_url = http://127.0.0.1:8080/client/v4/
        request_timeout = 10s
        rate_limit = 500/1m
        max_concurrent_requests = 8
        api_token_file = /etc/ssowatch/token
        notify_on_first_seen = yes
        stuck_after = 0
        delivery_max_age = 2h
        log_level = debug

        [account "prod"]
        account_id = 023E105F4ECEF8AD9CA31A8372D0C353
        webhooks = ops
        poll_interval = 1h30m

        [account "staging"]
        account_id = 9a7806061c88ada191ed06f989cc3dac
        enabled = off
        api_token_env = STAGING_TOKEN

        ; webhooks
        [webhook "ops"]
        type = slack
        url_file = /etc/ssowatch/slack-url
        events = all

        [webhook "audit"]
        type = generic
        url = "https://audit.example.com/hook?x=1#frag"
        secret_credential = whsec
        timeout = 5s
        events = verified, stuck
        """

    static let fullFiles = InMemoryConfigFileSystem([
        "/etc/ssowatch/token": "  daemon-token\n",
        "/etc/ssowatch/slack-url": "https://hooks.slack.com/services/T0/B0/XYZ\n",
        "/run/credentials/ssowatch.service/whsec": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
    ])

    @Test func fullConfiguration() throws {
        let environment = [
            "STAGING_TOKEN": " staging-token ", "CREDENTIALS_DIRECTORY": "/run/credentials/ssowatch.service",
        ]
        let config = try ConfigLoader(environment: environment, fileSystem: Self.fullFiles)
            .parse(text: Self.fullExample, path: ConfigFixture.path)

        #expect(config.path == ConfigFixture.path)
        let daemon = config.daemon
        #expect(daemon.stateFile == "/srv/ssowatch/state.json")
        #expect(daemon.pollInterval == 120)
        #expect(daemon.jitter == .seconds(30))
        #expect(daemon.apiBaseURL == "http://127.0.0.1:8080/client/v4")
        #expect(daemon.requestTimeout == 10)
        #expect(daemon.rateLimit == RateLimit(requests: 500, window: 60))
        #expect(daemon.maxConcurrentRequests == 8)
        #expect(daemon.apiToken == Secret("daemon-token", source: "api_token_file=/etc/ssowatch/token"))
        #expect(daemon.notifyOnFirstSeen)
        #expect(daemon.stuckAfter == nil)
        #expect(daemon.deliveryMaxAge == 7_200)
        #expect(daemon.logLevel == .debug)

        #expect(config.accounts.count == 2)
        let prod = try #require(config.account(named: "prod"))
        #expect(prod.accountID == ConfigFixture.accountID)
        #expect(prod.token.value == "daemon-token")
        #expect(prod.token.source == "[daemon] api_token_file=/etc/ssowatch/token")
        #expect(prod.pollInterval == 5_400)
        #expect(prod.webhooks == ["ops"])
        #expect(prod.enabled)
        #expect(prod.line == 16)
        let staging = try #require(config.account(named: "staging"))
        #expect(staging.accountID == ConfigFixture.otherAccountID)
        #expect(staging.token == Secret("staging-token", source: "api_token_env=STAGING_TOKEN"))
        #expect(staging.pollInterval == 120)
        #expect(staging.webhooks == ["ops", "audit"])
        #expect(!staging.enabled)
        #expect(staging.line == 21)

        #expect(config.webhooks.map(\.name) == ["ops", "audit"])
        let ops = try #require(config.webhook(named: "ops"))
        #expect(ops.type == .slack)
        #expect(ops.url.value == "https://hooks.slack.com/services/T0/B0/XYZ")
        #expect(ops.host == "hooks.slack.com")
        #expect(ops.events == Set(EventKind.allCases))
        #expect(ops.secret == nil)
        #expect(ops.timeout == 15)
        #expect(ops.line == 27)
        let audit = try #require(config.webhook(named: "audit"))
        #expect(audit.type == .generic)
        #expect(audit.url.value == "https://audit.example.com/hook?x=1#frag")
        #expect(audit.events == [.verified, .stuck])
        #expect(audit.secret?.value == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(audit.secret?.source == "secret_credential=whsec")
        #expect(audit.timeout == 5)
        #expect(config.warnings == [])
    }

    @Test func minimalConfigurationUsesDefaults() throws {
        let config = try ConfigFixture.parse(account)
        #expect(config.daemon == DaemonConfig.defaults(environment: ConfigFixture.environment))
        #expect(config.daemon.stateFile == "/var/lib/ssowatch/state.json")
        #expect(config.daemon.pollInterval == 300)
        #expect(config.daemon.jitter == .fraction(0.1))
        #expect(config.daemon.apiBaseURL == "https://api.cloudflare.com/client/v4")
        #expect(config.daemon.rateLimit == RateLimit(requests: 1000, window: 300))
        #expect(config.daemon.stuckAfter == 86_400)
        let prod = try #require(config.accounts.first)
        #expect(prod.token == Secret(ConfigFixture.environmentToken, source: "env CLOUDFLARE_API_TOKEN"))
        #expect(prod.webhooks == [])
        #expect(prod.enabled)
        #expect(prod.pollInterval == 300)
    }

    @Test func stateDirectoryGivesTheDefaultStateFile() throws {
        let environment = ConfigFixture.environment.merging(["STATE_DIRECTORY": "/var/lib/private/ssowatch"]) { $1 }
        #expect(
            try ConfigFixture.parse(account, environment: environment).daemon.stateFile
                == "/var/lib/private/ssowatch/state.json")
        let explicit = ["[daemon]", "state_file = /tmp/s.json"] + account
        #expect(try ConfigFixture.parse(explicit, environment: environment).daemon.stateFile == "/tmp/s.json")
    }

    @Test func webhookDefaultsAndAccountWebhooks() throws {
        let lines =
            account + ["[account \"b\"]", "account_id = \(ConfigFixture.otherAccountID)", "webhooks ="]
            + ConfigFixture.webhook("discord") + ["[webhook \"two\"]", "type = ntfy", "url = https://ntfy.sh/topic"]
        let config = try ConfigFixture.parse(lines)
        #expect(config.accounts[0].webhooks == ["chat", "two"])
        #expect(config.accounts[1].webhooks == [])
        let chat = try #require(config.webhook(named: "chat"))
        #expect(chat.events == [.verified, .failed, .dnsMissing, .dnsFound, .verificationStarted])
        #expect(chat.timeout == 15)
        #expect(chat.type == .discord)
        #expect(try ConfigFixture.parse(account + ConfigFixture.webhook("google-chat")).webhooks[0].type == .googleChat)
    }

    @Test func tokenFallbackChain() throws {
        let lines =
            ["[daemon]", "api_token = daemon-token"] + account
            + ["[account \"own\"]", "account_id = \(ConfigFixture.otherAccountID)", "api_token = \"own-token\""]
        let config = try ConfigFixture.parse(lines)
        #expect(config.accounts[0].token == Secret("daemon-token", source: "[daemon] api_token (inline, line 2)"))
        #expect(config.accounts[1].token == Secret("own-token", source: "api_token (inline, line 7)"))
        #expect(config.daemon.apiToken?.value == "daemon-token")
        // Without any configured token, CLOUDFLARE_API_TOKEN (trimmed) is used; an empty one does not count.
        let fromEnvironment = try ConfigFixture.parse(account, environment: ["CLOUDFLARE_API_TOKEN": " t \n"])
        #expect(fromEnvironment.accounts[0].token.value == "t")
        #expect(ConfigFixture.error(account, environment: ["CLOUDFLARE_API_TOKEN": ""])?.line == 1)
    }

    @Test func secretFilesAreTrimmedAndCheckedForPermissions() throws {
        let files = InMemoryConfigFileSystem(
            ["/s/token": "\n  tok-from-file \t\n", "/s/open": "tok2\n"], modes: ["/s/token": 0o640, "/s/open": 0o644])
        let lines =
            account + [
                "api_token_file = /s/token", "[account \"b\"]",
                "account_id = \(ConfigFixture.otherAccountID)", "api_token_file = /s/open",
            ]
        let config = try ConfigFixture.parse(lines, files: files)
        #expect(config.accounts[0].token.value == "tok-from-file")
        #expect(config.accounts[1].token.value == "tok2")
        let readable = config.warnings.filter { $0.message.contains("readable by other users") }
        #expect(readable.count == 1)
        let warning = try #require(readable.first)
        #expect(warning.line == 6)
        #expect(
            warning.description == "\(ConfigFixture.path):6: warning: api_token_file /s/open is readable by "
                + "other users (mode 644); run `chmod o-r /s/open`")
    }

    @Test func relativeSecretPathsAreRelativeToTheConfigurationFile() throws {
        let files = InMemoryConfigFileSystem(["/etc/ssowatch/cf-token": "tok"])
        let config = try ConfigFixture.parse(account + ["api_token_file = cf-token"], files: files)
        #expect(config.accounts[0].token == Secret("tok", source: "api_token_file=/etc/ssowatch/cf-token"))
    }

    @Test func credentialsComeFromCredentialsDirectory() throws {
        let files = InMemoryConfigFileSystem([
            "/run/creds/cf": "cred-token\n", "/run/creds/hook": "https://h.example/x",
        ])
        let environment = ["CREDENTIALS_DIRECTORY": "/run/creds"]
        let lines = account + ["api_token_credential = cf", "[webhook \"w\"]", "type = teams", "url_credential = hook"]
        let config = try ConfigFixture.parse(lines, environment: environment, files: files)
        #expect(config.accounts[0].token == Secret("cred-token", source: "api_token_credential=cf"))
        #expect(config.webhooks[0].url.value == "https://h.example/x")
        #expect(config.webhooks[0].host == "h.example")
        let missing = ConfigFixture.error(
            account + ["api_token_credential = other"], environment: environment,
            files: files)
        #expect(missing?.line == 3)
        #expect(missing?.message == "cannot read credential other (/run/creds/other): No such file or directory")
    }

    @Test func environmentSecrets() throws {
        let lines = account + ["[webhook \"w\"]", "type = generic", "url_env = HOOK", "secret_env = SIGN"]
        let environment = ConfigFixture.environment.merging(["HOOK": "http://127.0.0.1:9/in", "SIGN": "whsec_c2VjcmV0"])
        {
            $1
        }
        let webhook = try #require(try ConfigFixture.parse(lines, environment: environment).webhooks.first)
        #expect(webhook.url == Secret("http://127.0.0.1:9/in", source: "url_env=HOOK"))
        #expect(webhook.secret == Secret("whsec_c2VjcmV0", source: "secret_env=SIGN"))
        let empty = ConfigFixture.error(lines, environment: environment.merging(["SIGN": "  "]) { $1 })
        #expect(empty?.line == 6)
        #expect(empty?.message == "environment variable SIGN (from `secret_env`) is empty")
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"), ("http://127.9.9.9/v4", "http://127.9.9.9/v4"),
        ("http://localhost:1234/client/v4//", "http://localhost:1234/client/v4"),
        ("http://[::1]:80/x", "http://[::1]:80/x"),
        ("https://cf.example.com/client/v4/", "https://cf.example.com/client/v4"),
    ])
    func apiBaseURLs(written: String, stored: String) throws {
        let config = try ConfigFixture.parse(["[daemon]", "api_base_url = \(written)"] + account)
        #expect(config.daemon.apiBaseURL == stored)
    }

    @Test func apiBaseURLRejectsNonLoopbackHTTPLookalikes() {
        for host in ["128.0.0.1", "127.0.0.1.example.com", "localhost.example.com", "10.0.0.1"] {
            let error = ConfigFixture.error(["[daemon]", "api_base_url = http://\(host)/v4"] + account)
            #expect(error?.message.contains("only for loopback hosts") == true, "\(host)")
        }
    }

    @Test(arguments: [
        ("0", Jitter.fraction(0)), ("0%", .fraction(0)), ("25%", .fraction(0.25)), ("50%", .fraction(0.5)),
        ("30s", .seconds(30)), ("2m30s", .seconds(150)), ("150", .seconds(150)),
    ])
    func jitterForms(written: String, jitter: Jitter) throws {
        #expect(try ConfigFixture.parse(["[daemon]", "jitter = \(written)"] + account).daemon.jitter == jitter)
    }

    @Test func stuckAfterAndBooleans() throws {
        #expect(try ConfigFixture.parse(["[daemon]", "stuck_after = 0s"] + account).daemon.stuckAfter == nil)
        #expect(try ConfigFixture.parse(["[daemon]", "stuck_after = 1s"] + account).daemon.stuckAfter == 1)
        #expect(try ConfigFixture.parse(["[daemon]", "stuck_after = 2d"] + account).daemon.stuckAfter == 172_800)
        #expect(try ConfigFixture.parse(account + ["enabled = 0"]).accounts[0].enabled == false)
        #expect(try ConfigFixture.parse(["[daemon]", "notify_on_first_seen = on"] + account).daemon.notifyOnFirstSeen)
    }

    @Test func limitsAtTheirBounds() throws {
        let lines =
            [
                "[daemon]", "request_timeout = 5m", "delivery_max_age = 1m", "max_concurrent_requests = 64",
                "rate_limit = 1/1s", "poll_interval = 30s",
            ] + account + ConfigFixture.webhook("slack", ["timeout = 1s"])
        let config = try ConfigFixture.parse(lines)
        #expect(config.daemon.requestTimeout == 300)
        #expect(config.daemon.deliveryMaxAge == 60)
        #expect(config.daemon.maxConcurrentRequests == 64)
        #expect(config.webhooks[0].timeout == 1)
        #expect(ConfigFixture.error(["[daemon]", "max_concurrent_requests = 65"] + account)?.line == 2)
        #expect(ConfigFixture.error(["[daemon]", "request_timeout = 0"] + account)?.line == 2)
        #expect(ConfigFixture.error(account + ConfigFixture.webhook("slack", ["timeout = 301"]))?.line == 6)
    }

    @Test func warnings() throws {
        let lines =
            ["[daemon]", "jitter = 20s", "rate_limit = 10/1m"] + account
            + [
                "poll_interval = 10s", "[webhook \"w\"]", "type = mattermost", "url = http://chat.example.com/hooks/x",
                "[webhook \"local\"]", "type = rocketchat", "url = http://localhost:3000/hooks/x",
            ]
        let warnings = try ConfigFixture.parse(lines).warnings.map(\.description)
        let path = ConfigFixture.path
        #expect(
            warnings == [
                "\(path):6: warning: poll_interval 10s is below 30s: it spends API requests quickly for little gain "
                    + "(check-config shows the request budget)",
                "\(path):6: warning: jitter 20s is more than half of this poll_interval; this account's jitter is "
                    + "limited to 5s",
                "\(path):9: warning: webhook \"w\" uses plain http:// to chat.example.com: its URL, a secret, travels "
                    + "unencrypted; prefer https://",
            ])
    }

    @Test func budgetWarningNamesTheAccountsSharingAToken() throws {
        let lines =
            ["[daemon]", "rate_limit = 10/1m", "poll_interval = 10s", "settled_poll_interval = 0"] + account
            + ["[account \"b\"]", "account_id = \(ConfigFixture.otherAccountID)"] + ConfigFixture.webhook()
        let config = try ConfigFixture.parse(lines)
        let budget = config.warnings.filter { $0.message.contains("rate_limit allows") }
        #expect(
            budget.map(\.description) == [
                "\(ConfigFixture.path):2: warning: accounts prod, b share one API token and need 12 requests per 1m, "
                    + "more than rate_limit allows (10); polls will come less often than poll_interval. "
                    + "A poll_interval of at least 12s fits"
            ])
        #expect(!budget[0].message.contains(ConfigFixture.environmentToken))
    }

    @Test func noWebhooksAndAllDisabledAreWarnings() throws {
        let config = try ConfigFixture.parse(account + ["enabled = false"])
        #expect(
            config.warnings.map(\.message) == [
                "no [webhook \"NAME\"] section: changes are recorded in the state file but nobody is notified",
                "every account has `enabled = false`: nothing will be polled",
            ])
        #expect(config.warnings.map(\.line) == [1, 1])
    }

    @Test func loadReadsTheFileAndWarnsAboutInlineSecretsInAReadableFile() throws {
        let text = "\u{FEFF}[account \"prod\"]\r\naccount_id = \(ConfigFixture.accountID)\r\napi_token = abc\r\n"
        let files = InMemoryConfigFileSystem([ConfigFixture.path: text], modes: [ConfigFixture.path: 0o644])
        let config = try ConfigLoader(environment: [:], fileSystem: files).load(path: ConfigFixture.path)
        #expect(config.accounts[0].token.value == "abc")
        let inline = config.warnings.filter { $0.message.contains("holds a secret") }
        #expect(
            inline.map(\.description) == [
                "\(ConfigFixture.path):3: warning: `api_token` holds a secret in a file other users can read "
                    + "(mode 644); run `chmod o-r \(ConfigFixture.path)` or move it to `api_token_file`"
            ])
        let privateFiles = InMemoryConfigFileSystem([ConfigFixture.path: text], modes: [ConfigFixture.path: 0o640])
        let quiet = try ConfigLoader(environment: [:], fileSystem: privateFiles).load(path: ConfigFixture.path)
        #expect(!quiet.warnings.contains { $0.message.contains("holds a secret") })
    }

    @Test func resolvePath() {
        let environment = ["SSOWATCH_CONFIG": "/env/ssowatch.ini"]
        #expect(ConfigLoader.resolvePath(explicit: "/cli.ini", environment: environment) == "/cli.ini")
        #expect(ConfigLoader.resolvePath(explicit: nil, environment: environment) == "/env/ssowatch.ini")
        #expect(ConfigLoader.resolvePath(explicit: nil, environment: [:]) == "/etc/ssowatch/ssowatch.ini")
        #expect(
            ConfigLoader.resolvePath(explicit: nil, environment: ["SSOWATCH_CONFIG": ""])
                == "/etc/ssowatch/ssowatch.ini")
    }

    @Test func realFileSystemReadsFilesAndPermissions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ssowatch-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("token").path
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: 0o604], ofItemAtPath: file)
        let fileSystem = RealConfigFileSystem()
        #expect(try fileSystem.readFile(file) == Array("secret\n".utf8))
        #expect(fileSystem.permissions(file) == 0o604)
        #expect(fileSystem.permissions(directory.path + "/missing") == nil)
        #expect {
            try fileSystem.readFile(directory.path + "/missing")
        } throws: { error in
            "\(error)" == "No such file or directory"
        }
    }
}
