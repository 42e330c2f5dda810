import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel

/// `settled_poll_interval` (docs/CONFIGURATION.md): its default, `0`, the per-account override and how it
/// meets each account's `poll_interval`; and the request budget `check-config` shows for it.
@Suite struct AdaptiveConfigTests {
    typealias F = ConfigFixture

    static let staging = ["[account \"staging\"]", "account_id = \(F.otherAccountID)"]

    func accounts(_ lines: [String]) throws -> [String: AccountConfig] {
        let config = try F.parse(lines + F.webhook())
        return Dictionary(uniqueKeysWithValues: config.accounts.map { ($0.name, $0) })
    }

    @Test func defaultIsThirtyMinutesButNeverShorterThanAnAccountsPollInterval() throws {
        let accounts = try accounts(F.account + Self.staging + ["poll_interval = 1h"])
        #expect(accounts["prod"]?.settledInterval == 1800)
        #expect(accounts["prod"]?.pollInterval == 300)
        #expect(accounts["staging"]?.settledInterval == 3600, "an unset default yields to a longer poll_interval")
        let slow = try F.parse(["[daemon]", "poll_interval = 2h"] + F.account + F.webhook())
        #expect(slow.accounts[0].settledInterval == 7200)
        #expect(slow.warnings.isEmpty, "\(slow.warnings)")
    }

    @Test func zeroMeansTheSameAsPollInterval() throws {
        let accounts = try accounts(
            ["[daemon]", "settled_poll_interval = 0", "poll_interval = 2m"] + F.account + Self.staging
                + ["poll_interval = 7m"])
        #expect(accounts["prod"]?.settledInterval == 120)
        #expect(accounts["prod"]?.isAdaptive == false)
        #expect(accounts["staging"]?.settledInterval == 420)
        // An account may turn it on again for itself, or off for itself.
        let mixed = try self.accounts(
            ["[daemon]", "settled_poll_interval = 0"] + F.account + ["settled_poll_interval = 1h"] + Self.staging)
        #expect(mixed["prod"]?.settledInterval == 3600)
        #expect(mixed["staging"]?.settledInterval == 300)
        let off = try self.accounts(F.account + ["settled_poll_interval = 0"] + Self.staging)
        #expect(off["prod"]?.settledInterval == 300)
        #expect(off["staging"]?.settledInterval == 1800)
    }

    @Test func inheritedDaemonValueYieldsToALongerAccountPollInterval() throws {
        let accounts = try accounts(
            ["[daemon]", "poll_interval = 1m", "settled_poll_interval = 20m"] + F.account + Self.staging
                + ["poll_interval = 45m"])
        #expect(accounts["prod"]?.settledInterval == 1200)
        #expect(accounts["staging"]?.settledInterval == 2700)
        #expect(accounts["staging"]?.isAdaptive == false)
    }

    @Test func shorterThanPollIntervalIsAnErrorAtTheKey() {
        let daemon = F.error(["[daemon]", "poll_interval = 10m", "settled_poll_interval = 5m"] + F.account)
        #expect(
            daemon?.description
                == "\(F.path):3: settled_poll_interval 5m is shorter than poll_interval (10m): settled accounts "
                + "are polled less often than those with a pending connector, not more; write at least 10m, or 0 "
                + "for the same interval")
        let own = F.error(F.account + ["poll_interval = 1h", "settled_poll_interval = 30m"])
        #expect(own?.line == 4)
        #expect(own?.message.hasPrefix("settled_poll_interval 30m is shorter than this poll_interval (1h)") == true)
        let inherited = F.error(["[daemon]", "poll_interval = 1h"] + F.account + ["settled_poll_interval = 30m"])
        #expect(inherited?.line == 5)
        #expect(
            inherited?.message.hasPrefix("settled_poll_interval 30m is shorter than the [daemon] poll_interval (1h)")
                == true, "\(String(describing: inherited))")
        #expect(F.error(F.account + ["settled_poll_interval = soon"])?.message.contains("is not a duration") == true)
        #expect(F.error(F.account + ["settled_poll_interval = 5m"]) == nil, "equal to poll_interval is fine")
    }

    @Test func budgetWarnsOnlyWhenTheSettledScheduleDoesNotFit() throws {
        // 20 accounts on one token, 10 requests a minute: all pending (20/min) does not fit, settled (2/min) does.
        func lines(settled: String) -> [String] {
            var lines = ["[daemon]", "rate_limit = 10/1m", "poll_interval = 1m", "settled_poll_interval = \(settled)"]
            for index in 0..<20 {
                lines += ["[account \"a\(index)\"]", "account_id = " + String(format: "%032x", index + 1)]
            }
            return lines + F.webhook()
        }
        let adaptive = try F.parse(lines(settled: "10m"))
        #expect(!adaptive.warnings.contains { $0.message.contains("rate_limit allows") }, "\(adaptive.warnings)")
        let group = try #require(RequestBudget.groups(for: adaptive).first)
        #expect(group.requestsPerWindow == 20)
        #expect(abs(group.settledRequestsPerWindow - 2) < 1e-9)
        #expect(!group.fits && group.settledFits && group.isAdaptive)
        // 8 spare requests a minute, each pending account costs 0.9 more than a settled one.
        #expect(group.pendingAccountsThatFit == 8)

        let tight = try F.parse(lines(settled: "90s"))
        let warnings = tight.warnings.filter { $0.message.contains("rate_limit allows") }.map(\.description)
        #expect(
            warnings == [
                "\(F.path):2: warning: accounts a0, a1, a2, a3, a4 +15 more share one API token and need 13.3 "
                    + "requests per 1m even when settled, more than rate_limit allows (10); polls will be spaced by "
                    + "the budget, less often than settled_poll_interval. A settled_poll_interval of at least 2m fits"
            ])
        #expect(RequestBudget.groups(for: tight).first?.pendingAccountsThatFit == 0)
    }

    @Test func summaryShowsBothSchedulesPerToken() throws {
        var lines = ["[daemon]", "rate_limit = 10/1m", "poll_interval = 1m", "settled_poll_interval = 10m"]
        for index in 0..<20 {
            lines += ["[account \"a\(index)\"]", "account_id = " + String(format: "%032x", index + 1)]
        }
        lines += ["[account \"own\"]", "account_id = " + String(format: "%032x", 99), "api_token = other-token"]
        let rendered = ConfigSummary.render(try F.parse(lines + F.webhook()))
        #expect(rendered.contains("  settled poll interval    10m\n"), "\(rendered)")
        #expect(rendered.contains("  a0    " + String(format: "%032x", 1) + "  yes      1m        10m "), "\(rendered)")
        #expect(
            rendered.contains(
                """
                Request budget (rate_limit 10/1m per API token):
                  a0, a1, a2, a3, a4 +15 more  20 accounts  all pending: 20 of 10 requests per 1m  settled: 2    \
                fits while at most 8 accounts have a pending connector; smallest poll_interval that fits all: 2m
                  own                          1 account    all pending: 1 of 10 requests per 1m   settled: 0.1  fits
                """), "\(rendered)")
    }
}
