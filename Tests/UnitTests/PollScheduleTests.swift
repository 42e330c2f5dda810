import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchNotify
@testable import SSOWatchState

@Suite struct PollScheduleTests {
    @Test func firstPollsAreSpreadOverOneInterval() {
        let delays = (0..<4).map { PollSchedule.initialDelay(index: $0, count: 4, interval: 300) }
        #expect(delays == [0, 75, 150, 225])
        #expect(PollSchedule.initialDelay(index: 0, count: 1, interval: 300) == 0)
    }

    @Test func jitterSpreadsAroundTheInterval() {
        #expect(PollSchedule.nextDelay(interval: 300, jitter: .fraction(0.1), random: 0.5) == 300)
        #expect(PollSchedule.nextDelay(interval: 300, jitter: .fraction(0.1), random: 0) == 270)
        #expect(abs(PollSchedule.nextDelay(interval: 300, jitter: .fraction(0.1), random: 0.999_999) - 330) < 0.001)
        #expect(PollSchedule.nextDelay(interval: 300, jitter: .seconds(10), random: 1) == 310)
        #expect(PollSchedule.nextDelay(interval: 60, jitter: .fraction(0), random: 0.9) == 60)
        // A fixed jitter larger than half the interval is capped, so the delay stays positive.
        #expect(PollSchedule.nextDelay(interval: 10, jitter: .seconds(60), random: 0) == 5)
    }

    @Test func failedPollsBackOffExponentiallyUpToTheInterval() {
        let delays = (1...8).map { PollSchedule.failureDelay(failures: $0, interval: 300) }
        #expect(delays == [5, 10, 20, 40, 80, 160, 300, 300])
        #expect(PollSchedule.failureDelay(failures: 3, interval: 2) == 2)
        #expect(PollSchedule.failureDelay(failures: 10_000, interval: 300) == 300)
    }
}

@Suite struct TokenBudgetTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func requestsAreSpacedSoNoWindowExceedsTheLimit() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        #expect(budget.spacing == 0.3)
        #expect(budget.wait(at: start) == 0)
        budget.consume(at: start)
        #expect(abs(budget.wait(at: start) - 0.3) < 1e-3)
        #expect(budget.wait(at: start.addingTimeInterval(0.3)) == 0)
        // 1000 requests spaced this way span 299.7 s: any 300 s window holds at most 1000.
        var now = start.addingTimeInterval(0.3)
        for _ in 0..<999 {
            now = now.addingTimeInterval(budget.wait(at: now))
            budget.consume(at: now)
        }
        #expect(abs(now.timeIntervalSince(start) - 299.7) < 1e-3)
    }

    /// Starts requests as fast as `budget` allows from `start` for `duration` seconds; returns their times.
    static func drain(_ budget: inout TokenBudget, from start: Date, for duration: TimeInterval) -> [Date] {
        var now = start
        var starts: [Date] = []
        while now.timeIntervalSince(start) < duration {
            now = now.addingTimeInterval(budget.wait(at: now))
            guard now.timeIntervalSince(start) < duration else { break }
            budget.consume(at: now)
            starts.append(now)
        }
        return starts
    }

    @Test func aLowerRateLimitAppliesAtOnceCountingTheRequestsAlreadyMade() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        let before = Self.drain(&budget, from: start, for: 119.9)
        #expect(before.count == 400)
        let reload = start.addingTimeInterval(120)
        let lower = RateLimit(requests: 10, window: 300)
        budget = budget.withLimit(lower)
        #expect(budget.spacing == 30)
        let after = Self.drain(&budget, from: reload, for: 900)
        #expect(!after.isEmpty)
        // Every request made under the new limit sees at most 10 starts (itself included) in the 300 s
        // before it, counting those made under the old one.
        let all = before + after
        for request in after {
            let inWindow = all.filter { $0 > request.addingTimeInterval(-300) && $0 <= request }.count
            #expect(inWindow <= 10, "\(inWindow) requests in the window ending at \(request)")
        }
        // The 10th latest old request was at 117 s, so the first new one waits until 417 s.
        #expect(abs((after.first?.timeIntervalSince(start) ?? 0) - 417) < 1e-3)
    }

    @Test func aHigherRateLimitAppliesAtOnce() {
        var budget = TokenBudget(limit: RateLimit(requests: 2, window: 3600), now: start)
        budget.consume(at: start)
        #expect(budget.wait(at: start.addingTimeInterval(60)) == 1740, "the old spacing: 30 min")
        budget = budget.withLimit(RateLimit(requests: 1000, window: 300))
        #expect(budget.wait(at: start.addingTimeInterval(60)) == 0, "the new spacing of 0.3 s has passed")
    }

    @Test func aPauseCarriesOverAReload() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        budget.rateLimited(retryAfter: 42, at: start)
        budget = budget.withLimit(RateLimit(requests: 500, window: 300))
        #expect(budget.wait(at: start) == 42)
        #expect(budget.withLimit(RateLimit(requests: 500, window: 300)) == budget)
    }

    @Test func rateLimitPausesTheTokenForRetryAfter() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        let pause = budget.rateLimited(retryAfter: 42, at: start)
        #expect(pause == 42)
        #expect(budget.wait(at: start) == 42)
    }

    @Test func rateLimitWithoutRetryAfterDoublesFromOneMinuteToFive() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        let pauses = (0..<5).map { _ in budget.rateLimited(retryAfter: nil, at: start) }
        #expect(pauses == [60, 120, 240, 300, 300])
        budget.answered()
        #expect(budget.rateLimited(retryAfter: nil, at: start) == 60)
    }
}

@Suite struct TokenBudgetQuotaTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func quota(_ remaining: Int, _ reset: Int) -> RateLimitStatus {
        RateLimitStatus(header: "\"default\";r=\(remaining);t=\(reset)")!
    }

    @Test func plentyOfQuotaChangesNothing() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        budget.observe(quota(1100, 200), at: start)
        #expect(budget.wait(at: start) == 0)
    }

    @Test func lowQuotaSpreadsTheRestOverTheResetTime() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        budget.observe(quota(60, 100), at: start)
        // 10 usable requests above the reserve of 50, 100 s to the reset: one every 10 s.
        #expect(abs(budget.wait(at: start) - 10) < 1e-3)
    }

    @Test func quotaAtTheReserveWaitsForTheReset() {
        var budget = TokenBudget(limit: RateLimit(requests: 1000, window: 300), now: start)
        budget.observe(quota(12, 240), at: start)
        #expect(abs(budget.wait(at: start) - 240) < 1e-3)
    }
}
