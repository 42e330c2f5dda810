import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// docs/CONFIGURATION.md `rate_limit` and `max_concurrent_requests`, §4 429 handling, measured on the real binary
/// from the times the simulated API received its requests.
@Suite struct RequestBudgetTests {
    /// How much shorter than planned a gap may look at the server: a request delayed on its way
    /// (a busy two-core machine starting a dozen processes) shortens the next gap. Without a budget
    /// the gaps here would be 0.2 s, and the mean and the 5 s window are checked exactly.
    static let slack = 0.2

    @Test func requestsOfOneTokenAreSpacedWhileAnotherTokenIsNotHeldBack() async throws {
        try await withDaemonRig { rig in
            let shared = (1...4).map { TestAccount.make("shared", $0, token: "cfut_budget_shared_0a1b") }
            let other = TestAccount.make("other", 1, token: "cfut_budget_other_2c3d")
            rig.register(shared + [other])
            // 10 requests per 5 s: one every 0.5 s for the four accounts of the shared token, which
            // would like one per second each.
            let path = try rig.config(accounts: shared + [other], [("rate_limit", "10/5s")]).write(to: rig.directory)
            try await rig.withDaemon(path) { daemon in
                let sharedPaths = Set(shared.map(\.listPath))
                try await rig.waitForAPIRequests("every shared account polled twice and other polled 5 times") {
                    requests in
                    shared.allSatisfy { account in requests.count { $0.path == account.listPath } >= 2 }
                        && requests.count { $0.path == other.listPath } >= 5
                }
                let requests = rig.apiRequests.value
                let sharedTimes = requests.filter { sharedPaths.contains($0.path) }.map(\.receivedAt)
                // The process's very first request is slower to leave (connection set-up, a cold
                // start), which shortens the next gap as measured at the server: it is not counted.
                let measured = Array(sharedTimes.dropFirst())
                let gaps = zip(measured, measured.dropFirst()).map { $1.timeIntervalSince($0) }
                #expect(gaps.allSatisfy { $0 >= 0.5 - Self.slack }, "gaps between shared-token requests: \(gaps)")
                let mean = measured.last!.timeIntervalSince(measured[0]) / Double(measured.count - 1)
                #expect(mean >= 0.45, "mean gap \(mean) s, gaps \(gaps)")
                // At most 10 in any 5 s window. Evenly spaced requests put the 11th exactly 5 s after
                // the first, so the window measured at the server is shortened by the slack.
                for (index, start) in sharedTimes.enumerated() {
                    let inWindow = sharedTimes[index...].prefix { $0.timeIntervalSince(start) < 5 - Self.slack }.count
                    #expect(inWindow <= 10, "\(inWindow) shared-token requests within 5 s from request #\(index)")
                }
                // The other token has its own budget: its account keeps its 1 s interval although
                // the shared token is saturated (sharing would mean one poll every 2.5 s).
                let otherTimes = requests.filter { $0.path == other.listPath }.map(\.receivedAt)
                let otherGaps = zip(otherTimes, otherTimes.dropFirst()).map { $1.timeIntervalSince($0) }
                #expect(otherGaps.allSatisfy { $0 < 1.5 }, "gaps between the other token's polls: \(otherGaps)")
                // The daemon says at start that the intervals do not fit.
                try await daemon.waitForOutput(containing: "A poll_interval of at least 2s fits", in: .stderr)
            }
        }
    }

    @Test func a429WithRetryAfterPausesEveryAccountOfThatTokenOnly() async throws {
        try await withDaemonRig { rig in
            let shared = (1...3).map { TestAccount.make("limited", $0, token: "cfut_budget_limited_4e5f") }
            let other = TestAccount.make("free", 1, token: "cfut_budget_free_6a7b")
            rig.register(shared + [other])
            let path = try rig.config(accounts: shared + [other], [("rate_limit", "100/10s")]).write(to: rig.directory)
            try await rig.withDaemon(path) { daemon in
                try await rig.waitForAPIRequests("every account polled once") { requests in
                    (shared + [other]).allSatisfy { account in requests.contains { $0.path == account.listPath } }
                }
                rig.simulator.injectFault(.rateLimited(retryAfter: 3), accountID: shared[0].id)
                let limited = try await rig.waitForAPIRequests("a 429") { $0.contains { $0.responseStatus == 429 } }
                let rateLimitedAt = try #require(limited.first { $0.responseStatus == 429 }).receivedAt
                let sharedPaths = Set(shared.map(\.listPath))
                // A request of the token already on its way when the 429 arrived may land just after it.
                let inFlightMargin = 0.25
                let resumed = try await rig.waitForAPIRequests(
                    "the shared token to be used again", timeout: .seconds(10)
                ) {
                    $0.contains {
                        sharedPaths.contains($0.path) && $0.receivedAt.timeIntervalSince(rateLimitedAt) > inFlightMargin
                    }
                }
                let firstAfter = try #require(
                    resumed.first {
                        sharedPaths.contains($0.path) && $0.receivedAt.timeIntervalSince(rateLimitedAt) > inFlightMargin
                    })
                let pause = firstAfter.receivedAt.timeIntervalSince(rateLimitedAt)
                #expect(pause >= 3 - 0.2, "the shared token was used again \(pause) s after its 429")
                #expect(pause < 5, "the pause ends with Retry-After (was \(pause) s)")
                let otherDuringPause = resumed.filter {
                    $0.path == other.listPath && $0.receivedAt > rateLimitedAt
                        && $0.receivedAt.timeIntervalSince(rateLimitedAt) < 2.8
                }
                #expect(otherDuringPause.count >= 2, "the other token kept polling during the pause")
                // Every account of the token resumes (none starves after the pause).
                try await rig.waitForAPIRequests("every shared account polled after the pause", timeout: .seconds(10)) {
                    requests in
                    shared.allSatisfy { account in
                        requests.contains {
                            $0.path == account.listPath
                                && $0.receivedAt > firstAfter.receivedAt.addingTimeInterval(-0.01)
                        }
                    }
                }
                try await daemon.waitForOutput(containing: "Cloudflare asked to wait 3s", in: .stderr)
            }
        }
    }

    @Test func aNearlySpentQuotaInTheRatelimitHeaderSlowsDown() async throws {
        // The unit: 55 left, 50 kept for others, so 5 requests over the 30 s to the reset: one per 6 s.
        let header = try #require(RateLimitStatus(header: "\"default\";r=55;t=30"))
        let start = Date(timeIntervalSinceReferenceDate: 1_000_000)
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        budget.consume(at: start)
        budget.observe(header, at: start)
        #expect(abs(budget.wait(at: start) - 6) < 0.001)

        // End to end: a simulated quota of 56 per 30 s answers the first poll with exactly that header.
        try await withDaemonRig { rig in
            let account = TestAccount.make("quota", 1, token: "cfut_budget_quota_8c9d")
            rig.register([account])
            rig.simulator.rateLimit = RateLimitPolicy(quota: 56, windowSeconds: 30, enforced: false)
            let path = try rig.config(accounts: [account]).write(to: rig.directory)
            try await rig.withDaemon(path) { _ in
                try await rig.waitForPolls(account, count: 2, timeout: .seconds(15))
                let polls = rig.polls(of: account)
                let gap = secondsBetween(polls[0], polls[1])
                #expect(gap >= 6 - 0.3, "the second poll came \(gap) s after the first (poll_interval is 1s)")
            }
        }
    }

    @Test func maxConcurrentRequestsOneNeverHasTwoRequestsInFlight() async throws {
        try await withDaemonRig { rig in
            let accounts = (1...3).map { TestAccount.make("serial", $0, token: "cfut_budget_serial_\($0)_e0f1") }
            rig.register(accounts)
            let slowness = 0.7
            let slowRequests = 6
            rig.simulator.injectFault(.slow(seconds: slowness), times: slowRequests)
            let path = try rig.config(
                accounts:
                    accounts, [("max_concurrent_requests", "1"), ("request_timeout", "5s")]
            ).write(to: rig.directory)
            try await rig.withDaemon(path) { _ in
                try await rig.waitForAPIRequests("\(slowRequests + 1) requests", timeout: .seconds(20)) {
                    $0.count > slowRequests
                }
                // The first `slowRequests` requests were each answered `slowness` after they arrived;
                // the next request may only arrive once the previous one was answered.
                let arrivals = rig.apiRequests.value.prefix(slowRequests + 1).map(\.receivedAt)
                let gaps = zip(arrivals, arrivals.dropFirst()).map { $1.timeIntervalSince($0) }
                #expect(
                    gaps.allSatisfy { $0 >= slowness - 0.05 },
                    "arrival gaps \(gaps): a request started while another was still waiting for its answer")
            }
        }
    }

    @Test func checkConfigWarnsWhenTheBudgetIsTooSmallAndNamesTheSmallestIntervalThatFits() async throws {
        try await withTemporaryDirectory { directory in
            let shared = (1...4).map { TestAccount.make("busy", $0, token: "cfut_budget_busy_1f2e") }
            let other = TestAccount.make("calm", 1, token: "cfut_budget_calm_3d4c")
            func write(interval: String) throws -> String {
                var config = ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                    .daemon("poll_interval", interval).daemon("rate_limit", "10/5s")
                for account in shared + [other] {
                    config = config.account(account.name, id: account.id, token: account.token)
                }
                return try config.write(to: directory, name: "budget-\(interval).ini")
            }

            let tight = try await runSSOWatch(["check-config", "--config", write(interval: "1s")])
            #expect(tight.status == 0, "a budget that does not fit is a warning, not an error: \(tight)")
            let lines = tight.stdout.split(separator: "\n").map(String.init)
            let busyRow = try #require(
                lines.first { $0.contains("busy1, busy2, busy3, busy4") && $0.contains("DOES NOT FIT") }, "\(tight)")
            #expect(busyRow.contains("20 of 10 requests per 5s"), "\(busyRow)")
            #expect(busyRow.contains("smallest interval that fits: 2s"), "\(busyRow)")
            let calmRow = try #require(
                lines.first { $0.contains("calm1") && $0.contains("of 10 requests") }, "\(tight)")
            #expect(calmRow.contains(" fits"), "\(calmRow)")
            #expect(!calmRow.contains("DOES NOT FIT"), "\(calmRow)")
            let warning = try #require(lines.first { $0.contains("share one API token") }, "\(tight)")
            #expect(warning.contains("accounts busy1, busy2, busy3, busy4"), "\(warning)")
            #expect(warning.contains("A poll_interval of at least 2s fits"), "\(warning)")
            #expect(
                !tight.stdout.contains("cfut_budget") && !tight.stderr.contains("cfut_budget"), "tokens never shown")

            let roomy = try await runSSOWatch(["check-config", "--config", write(interval: "2s")])
            #expect(roomy.status == 0, "\(roomy)")
            #expect(!roomy.stdout.contains("DOES NOT FIT"), "\(roomy)")
            #expect(!roomy.stdout.contains("share one API token"), "\(roomy)")
        }
    }
}
