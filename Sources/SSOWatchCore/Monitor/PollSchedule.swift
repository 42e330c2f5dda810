import Foundation

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

    /// The delay after `failures` consecutive failed polls: 5 s doubling (5, 10, 20, 40 …),
    /// never longer than the interval, so a recovered API is noticed within one normal cycle.
    public static func failureDelay(failures: Int, interval: TimeInterval) -> TimeInterval {
        let exponent = min(max(failures - 1, 0), 20)
        return min(interval, 5 * pow(2, Double(exponent)))
    }
}

/// The request budget of one API token (SPEC §2 `rate_limit`): requests are spaced evenly,
/// `window / requests` apart, which keeps any `window`-long span within `requests`; a 429 pauses
/// every account that uses the token.
public struct TokenBudget: Sendable, Equatable {
    /// Minimum time between two requests.
    public let spacing: TimeInterval
    /// The earliest time the next request may start.
    public private(set) var nextFree: Date
    /// When a 429 without `Retry-After` pauses the token: 60 s, doubling on repeats up to 5 min.
    public private(set) var consecutiveRateLimits: Int = 0

    /// Creates a budget for a `rate_limit` setting.
    public init(limit: RateLimit, now: Date) {
        self.spacing = limit.window / Double(max(limit.requests, 1))
        self.nextFree = now
    }

    /// How long a request wanting to start at `now` must wait (0 when it may go).
    public func wait(at now: Date) -> TimeInterval {
        max(0, nextFree.timeIntervalSince(now))
    }

    /// Records that a request starts at `now` (call only when `wait(at:)` is 0).
    public mutating func consume(at now: Date) {
        nextFree = max(nextFree, now).addingTimeInterval(spacing)
    }

    /// Pauses the token after a 429. Returns the pause in seconds.
    @discardableResult
    public mutating func rateLimited(retryAfter: TimeInterval?, at now: Date) -> TimeInterval {
        consecutiveRateLimits += 1
        let pause = retryAfter ?? min(300, 60 * pow(2, Double(min(consecutiveRateLimits - 1, 10))))
        nextFree = max(nextFree, now.addingTimeInterval(pause))
        return pause
    }

    /// Records an answer that was not a 429.
    public mutating func answered() {
        consecutiveRateLimits = 0
    }

    /// Requests of the token's Cloudflare quota left for everything else that uses the token
    /// (the dashboard, Terraform, other tools): ssowatch slows down before eating into them.
    public static let reservedQuota = 50

    /// Slows down when Cloudflare's `Ratelimit` header says the token's quota is nearly spent,
    /// whoever spent it: the remaining requests (less the reserve) are spread over the time to
    /// the reset, and at or below the reserve ssowatch waits for the reset. Never speeds up
    /// beyond `spacing`.
    public mutating func observe(_ status: RateLimitStatus, at now: Date) {
        let usable = status.remaining - Self.reservedQuota
        let reset = TimeInterval(max(status.resetSeconds, 0))
        let wait = usable <= 0 ? reset : reset / Double(usable)
        if wait > spacing {
            nextFree = max(nextFree, now.addingTimeInterval(wait))
        }
    }
}
