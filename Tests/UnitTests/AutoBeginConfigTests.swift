import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchModel

/// `auto_begin_verification` and the `api_write_token*` keys (docs/CONFIGURATION.md): defaults, inheritance,
/// secrets like `api_token*`, and the configurations that are refused, each at its line.
@Suite struct AutoBeginConfigTests {
    static let id = ConfigFixture.accountID
    static let writeToken = "cfut_write_0123456789abcdef"

    @Test func offByDefaultWithNoWriteToken() throws {
        let config = try ConfigFixture.parse(ConfigFixture.account)
        #expect(config.daemon.autoBegin == .off)
        #expect(config.accounts[0].autoBegin == .off)
        #expect(config.accounts[0].writeToken == nil)
    }

    @Test func theDaemonsModeAndWriteTokenAreEveryAccountsDefault() throws {
        let files = InMemoryConfigFileSystem(["/etc/ssowatch/write.token": Self.writeToken + "\n"])
        let config = try ConfigFixture.parse(
            [
                "[daemon]", "auto_begin_verification = on", "api_write_token_file = write.token",
                "[account \"prod\"]", "account_id = \(Self.id)",
                "[account \"lab\"]", "account_id = \(ConfigFixture.otherAccountID)",
                "auto_begin_verification = dry-run",
            ], files: files)
        #expect(config.accounts.map(\.autoBegin) == [.on, .dryRun])
        #expect(config.accounts[0].writeToken?.value == Self.writeToken)
        #expect(config.accounts[0].writeToken?.source == "[daemon] api_write_token_file=/etc/ssowatch/write.token")
        #expect(config.accounts[0].token.value == ConfigFixture.environmentToken, "polling keeps the read token")
        let summary = ConfigSummary.render(config)
        #expect(summary.contains("AUTO BEGIN"))
        #expect(summary.contains("dry-run"))
        #expect(summary.contains("api_write_token_file=/etc/ssowatch/write.token"))
        #expect(!summary.contains(Self.writeToken), "the summary never shows a token")
    }

    @Test func anAccountsOwnWriteTokenAndModeWin() throws {
        let config = try ConfigFixture.parse(
            [
                "[daemon]", "auto_begin_verification = dry-run", "api_write_token = daemon-write",
                "[account \"prod\"]", "account_id = \(Self.id)", "auto_begin_verification = on",
                "api_write_token_env = PROD_WRITE",
            ], environment: ConfigFixture.environment.merging(["PROD_WRITE": "prod-write"]) { $1 })
        #expect(config.accounts[0].autoBegin == .on)
        #expect(config.accounts[0].writeToken?.value == "prod-write")
    }

    @Test func dryRunNeedsNoWriteTokenAndWorksWithAnyDNSQuery() throws {
        let config = try ConfigFixture.parse(
            ["[daemon]", "auto_begin_verification = dry-run", "dns_query = resolvers"] + ConfigFixture.account)
        #expect(config.accounts[0].autoBegin == .dryRun)
    }

    static let refused: [(label: String, lines: [String], line: Int, fragment: String)] = [
        (
            "on without a write token", ["[account \"prod\"]", "account_id = \(id)", "auto_begin_verification = on"],
            3, "auto_begin_verification = on needs a write token for account \"prod\""
        ),
        (
            "on inherited without a write token",
            ["[daemon]", "auto_begin_verification = on", "[account \"prod\"]", "account_id = \(id)"],
            2, "(from [daemon], for [account \"prod\"]) needs a write token"
        ),
        (
            "on with dns_check = off",
            ["[daemon]", "dns_check = off", "api_write_token = w", "auto_begin_verification = on"]
                + ConfigFixture.account,
            4, "needs the DNS check, but dns_check = off"
        ),
        (
            "on with dns_query = resolvers",
            ["[daemon]", "dns_query = resolvers", "api_write_token = w"] + ConfigFixture.account
                + ["auto_begin_verification = on"],
            6, "needs dns_query = authoritative"
        ),
        (
            "an unknown mode", ConfigFixture.account + ["auto_begin_verification = yes"], 3,
            "auto_begin_verification: `yes` is not one of off, on, dry-run"
        ),
        (
            "two write tokens", ConfigFixture.account + ["api_write_token = a", "api_write_token_env = W"], 4,
            "`api_write_token_env` and `api_write_token` (line 3) both give api_write_token"
        ),
        (
            "an unreadable write token file", ConfigFixture.account + ["api_write_token_file = /nope/token"], 3,
            "cannot read api_write_token_file /nope/token"
        ),
        (
            "an unset write token variable", ConfigFixture.account + ["api_write_token_env = NOT_SET"], 3,
            "environment variable NOT_SET (from `api_write_token_env`) is not set"
        ),
    ]

    @Test(arguments: refused.indices)
    func refusedConfigurationsSayWhere(_ index: Int) throws {
        let testCase = Self.refused[index]
        let error = try #require(ConfigFixture.error(testCase.lines), "\(testCase.label)")
        #expect(error.line == testCase.line, "\(testCase.label): \(error)")
        #expect(error.message.contains(testCase.fragment), "\(testCase.label): \(error)")
        #expect(!error.description.contains(Self.writeToken))
    }

    @Test func aWriteTokenInAnErrorIsNeverShown() throws {
        let error = try #require(
            ConfigFixture.error(ConfigFixture.account + ["api_write_token = \(Self.writeToken) extra"]))
        #expect(error.line == 3)
        #expect(!error.description.contains(Self.writeToken), "\(error)")
    }
}
