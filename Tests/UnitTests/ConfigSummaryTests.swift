import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchNotify
@testable import SSOWatchState

@Suite struct ConfigSummaryTests {
    static let lines = [
        "[daemon]", "rate_limit = 100/5m", "api_token_file = /run/cf", "jitter = 0",
        "[account \"prod\"]", "account_id = \(ConfigFixture.accountID)", "poll_interval = 1m", "webhooks = ops",
        "[account \"staging\"]", "account_id = 9a7806061c88ada191ed06f989cc3dac", "poll_interval = 2m",
        "[account \"other\"]", "account_id = 11111111111111111111111111111111", "api_token_env = OTHER_TOKEN",
        "[account \"off\"]", "account_id = 22222222222222222222222222222222", "enabled = no",
        "[webhook \"ops\"]", "type = slack", "url = https://hooks.slack.com/services/T0/B0/SECRETPATH",
        "[webhook \"audit\"]", "type = generic", "url = https://audit.example.com/in?token=SECRETQUERY",
        "secret = whsec_c2VjcmV0", "events = all",
    ]
    static let files = InMemoryConfigFileSystem(["/run/cf": "shared-token-value\n"])
    static let environment = ["OTHER_TOKEN": "other-token-value"]

    func config() throws -> Configuration {
        try ConfigFixture.parse(Self.lines, environment: Self.environment, files: Self.files)
    }

    @Test func rendersEverySection() throws {
        let expected = """
            /etc/ssowatch/ssowatch.ini: OK

            Accounts (4):
              NAME     ACCOUNT ID                        ENABLED  INTERVAL  SETTLED  WEBHOOKS    AUTO BEGIN  TOKEN
              prod     023e105f4ecef8ad9ca31a8372d0c353  yes      1m        30m      ops         off         [daemon] api_token_file=/run/cf
              staging  9a7806061c88ada191ed06f989cc3dac  yes      2m        30m      ops, audit  off         [daemon] api_token_file=/run/cf
              other    11111111111111111111111111111111  yes      5m        30m      ops, audit  off         api_token_env=OTHER_TOKEN
              off      22222222222222222222222222222222  no       5m        30m      ops, audit  off         [daemon] api_token_file=/run/cf

            Webhooks (2):
              NAME   TYPE     HOST               EVENTS                                                          TIMEOUT  SIGNED
              ops    slack    hooks.slack.com    verified, failed, dns_missing, dns_found, verification_started  15s      no
              audit  generic  audit.example.com  all                                                             15s      yes

            Daemon:
              state file               /var/lib/ssowatch/state.json
              poll interval            5m
              settled poll interval    30m
              jitter                   off
              API base URL             https://api.cloudflare.com/client/v4
              request timeout          30s
              rate limit               100 requests per 5m per API token
              max concurrent requests  4
              default API token        api_token_file=/run/cf
              auto begin verification  off
              default write token      none
              notify on first seen     no
              stuck after              1d
              delivery max age         1d
              log level                info

            Request budget (rate_limit 100/5m per API token):
              prod, staging  2 accounts  all pending: 7.5 of 100 requests per 5m  settled: 0.3  fits
              other          1 account   all pending: 1 of 100 requests per 5m    settled: 0.2  fits

            Warnings: none

            """
        let rendered = ConfigSummary.render(try config())
        #expect(rendered == expected)
    }

    @Test func neverShowsSecrets() throws {
        let rendered = ConfigSummary.render(try config())
        for secret in ["shared-token-value", "other-token-value", "SECRETPATH", "SECRETQUERY", "whsec_c2VjcmV0"] {
            #expect(!rendered.contains(secret), "\(secret)")
        }
    }

    @Test func showsBudgetThatDoesNotFitAndWarnings() throws {
        let lines =
            ["[daemon]", "rate_limit = 10/1m", "jitter = 5s", "settled_poll_interval = 0"] + ConfigFixture.account
            + [
                "poll_interval = 5s", "[account \"b\"]", "account_id = \(ConfigFixture.otherAccountID)",
                "poll_interval = 20s",
            ]
        let rendered = ConfigSummary.render(try ConfigFixture.parse(lines))
        #expect(
            rendered.contains(
                """
                Request budget (rate_limit 10/1m per API token):
                  prod, b  2 accounts  all pending: 15 of 10 requests per 1m  settled: 15  \
                DOES NOT FIT: polls are spaced by the budget; smallest interval that fits: 12s
                """))
        #expect(rendered.contains("  jitter                   5s\n"))
        #expect(
            rendered.contains("Warnings (5):\n  /etc/ssowatch/ssowatch.ini:7: warning: poll_interval 5s is below 30s"))
        #expect(rendered.contains("  /etc/ssowatch/ssowatch.ini:1: warning: no [webhook \"NAME\"] section"))
        #expect(rendered.contains("Webhooks: none (nobody is notified)\n"))
    }

    @Test func noEnabledAccounts() throws {
        let rendered = ConfigSummary.render(try ConfigFixture.parse(ConfigFixture.account + ["enabled = no"]))
        #expect(rendered.contains("per API token):\n  no enabled accounts\n"))
    }
}

@Suite struct RequestBudgetTests {
    func account(_ name: String, token: String, interval: TimeInterval, enabled: Bool = true, line: Int = 1)
        -> AccountConfig
    {
        AccountConfig(
            name: name, accountID: ConfigFixture.accountID, token: Secret(token, source: "test \(name)"),
            pollInterval: interval, webhooks: [], enabled: enabled, line: line)
    }

    @Test func groupsByTokenValueNotSource() {
        let accounts = [
            account("a", token: "t1", interval: 60, line: 3), account("b", token: "t2", interval: 300, line: 7),
            account("c", token: "t1", interval: 30, line: 9), account("d", token: "t1", interval: 1, enabled: false),
        ]
        let groups = RequestBudget.groups(accounts: accounts, rateLimit: RateLimit(requests: 10, window: 300))
        #expect(groups.count == 2)
        #expect(groups[0].accounts == ["a", "c"])
        #expect(groups[0].firstLine == 3)
        #expect(groups[0].requestsPerWindow == 15)  // 300/60 + 300/30
        #expect(!groups[0].fits)
        #expect(groups[0].smallestFittingInterval == 60)  // 2 accounts × 300s / 10
        #expect(groups[0].name == "a, c")
        #expect(groups[0].accountsDescription == "accounts a, c")
        #expect(groups[1].accounts == ["b"])
        #expect(groups[1].requestsPerWindow == 1)
        #expect(groups[1].fits)
        #expect(groups[1].smallestFittingInterval == 30)
        #expect(groups[1].accountsDescription == "account \"b\"")
    }

    @Test func exactlyAtTheLimitFits() {
        let accounts = (1...3).map { account("a\($0)", token: "t", interval: 18) }
        let group = RequestBudget.groups(accounts: accounts, rateLimit: RateLimit(requests: 10, window: 60))[0]
        #expect(group.requestsPerWindow == 10)
        #expect(group.fits)
        #expect(group.smallestFittingInterval == 18)
    }

    @Test func smallestIntervalIsRoundedUpAndAtLeastOneSecond() {
        let one = RequestBudget.groups(
            accounts: [account("a", token: "t", interval: 60)], rateLimit: RateLimit(requests: 1000, window: 300))[0]
        #expect(one.smallestFittingInterval == 1)
        let three = RequestBudget.groups(
            accounts: (1...3).map { account("a\($0)", token: "t", interval: 60) },
            rateLimit: RateLimit(requests: 7, window: 10))[0]
        #expect(three.smallestFittingInterval == 5)  // 30/7 = 4.3s, rounded up
    }

    @Test func manyAccountsAreAbbreviated() {
        let accounts = (1...7).map { account("acc\($0)", token: "t", interval: 60) }
        let group = RequestBudget.groups(accounts: accounts, rateLimit: RateLimit(requests: 1000, window: 300))[0]
        #expect(group.name == "acc1, acc2, acc3, acc4, acc5 +2 more")
        #expect(group.accountsDescription == "accounts acc1, acc2, acc3, acc4, acc5 +2 more")
    }
}
