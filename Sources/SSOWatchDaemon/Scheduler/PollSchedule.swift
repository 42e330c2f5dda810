import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchNotify
import SSOWatchState

/// When accounts are polled: pure functions of the interval, the jitter and the failure count.
public enum PollSchedule {
    /// The first poll of account `index` of `count`: spread evenly over one interval so that
    /// accounts never all poll at once (the first account polls immediately).
    public static func initialDelay(index: Int, count: Int, interval: TimeInterval) -> TimeInterval {
        guard count > 1 else { return 0 }
        return interval * Double(index) / Double(count)
    }

    /// The delay after a successful poll: the interval plus or minus a random share of the jitter.
    /// - Parameter random: a number in `0..<1` (injected so tests are deterministic).
    public static func nextDelay(interval: TimeInterval, jitter: Jitter, random: Double) -> TimeInterval {
        let spread = jitter.spread(for: interval)
        return max(0.1, interval + spread * (random * 2 - 1))
    }

    /// How soon an account is polled after ``Daemon/pollSoon(accountID:reason:)``: the poll starts within 10 s
    /// (docs/MONITORING.md), leaving the rest for the token's budget. Not zero, so that several calls for one
    /// account (two `dns_found` of one check round) make one poll.
    public static let soonDelay: TimeInterval = 2

    /// The delay after `failures` consecutive failed polls: 5 s doubling (5, 10, 20, 40 …),
    /// never longer than the interval, so a recovered API is noticed within one normal cycle.
    public static func failureDelay(failures: Int, interval: TimeInterval) -> TimeInterval {
        let exponent = min(max(failures - 1, 0), 20)
        return min(interval, 5 * pow(2, Double(exponent)))
    }
}
