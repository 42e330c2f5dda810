import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchNotify
import SSOWatchState

/// The request budget of one API token (docs/CONFIGURATION.md `rate_limit`): requests are spaced evenly,
/// `window / requests` apart, which keeps any `window`-long span within `requests`; a 429 pauses
/// every account that uses the token.
///
/// The budget also remembers when its latest requests started, so that a reload that lowers
/// `rate_limit` (``withLimit(_:)``) holds back the next request until it fits the new limit in every
/// window, counting the requests already made under the old one.
public struct TokenBudget: Sendable, Equatable {
    /// The limit in force.
    public let limit: RateLimit
    /// Minimum time between two requests.
    public let spacing: TimeInterval
    /// No request before this: a 429's pause, or the slowdown a nearly spent quota asks for.
    private var pausedUntil: Date
    /// When a 429 without `Retry-After` pauses the token: 60 s, doubling on repeats up to 5 min.
    public private(set) var consecutiveRateLimits: Int = 0
    /// The start times of the requests of the last window, oldest first: at most ``historyLimit`` and
    /// never more than the limit's `requests` (only the `requests`-th latest one matters).
    private var history = StartHistory()

    /// The most request starts remembered. Beyond it (a `rate_limit` above 65,536 requests per window)
    /// the window check after a reload sees only the latest ones; the spacing still holds.
    static let historyLimit = 65_536
    /// Starts are remembered for at least this long, so that a reload to a longer window counts the
    /// requests made before it (up to this far back).
    static let historyHorizon: TimeInterval = 3600

    /// Creates a budget for a `rate_limit` setting.
    public init(limit: RateLimit, now: Date) {
        self.limit = limit
        self.spacing = limit.window / Double(max(limit.requests, 1))
        self.pausedUntil = now
    }

    /// The same token under a new `rate_limit`, in force at once: the next request waits for the new
    /// spacing after the latest one and for the new window (counting the requests already made), and
    /// a 429 pause carries over.
    public func withLimit(_ newLimit: RateLimit) -> TokenBudget {
        guard newLimit != limit else { return self }
        var budget = TokenBudget(limit: newLimit, now: pausedUntil)
        budget.consecutiveRateLimits = consecutiveRateLimits
        budget.history = history
        budget.history.trim(to: min(newLimit.requests, Self.historyLimit))
        return budget
    }

    /// The earliest time the next request may start.
    public var nextFree: Date {
        var earliest = pausedUntil
        if let latest = history.latest {
            earliest = max(earliest, latest.addingTimeInterval(spacing))
        }
        // The window: the `requests`-th latest start must be a whole window ago.
        if let oldest = history.nth(fromLatest: limit.requests) {
            earliest = max(earliest, oldest.addingTimeInterval(limit.window))
        }
        return earliest
    }

    /// How long a request wanting to start at `now` must wait (0 when it may go).
    public func wait(at now: Date) -> TimeInterval {
        max(0, nextFree.timeIntervalSince(now))
    }

    /// Records that a request starts at `now` (call only when `wait(at:)` is 0).
    public mutating func consume(at now: Date) {
        history.append(
            max(now, nextFree), window: max(limit.window, Self.historyHorizon),
            keeping: min(limit.requests, Self.historyLimit))
    }

    /// Pauses the token after a 429. Returns the pause in seconds.
    @discardableResult
    public mutating func rateLimited(retryAfter: TimeInterval?, at now: Date) -> TimeInterval {
        consecutiveRateLimits += 1
        let pause = retryAfter ?? min(300, 60 * pow(2, Double(min(consecutiveRateLimits - 1, 10))))
        pausedUntil = max(pausedUntil, now.addingTimeInterval(pause))
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
            pausedUntil = max(pausedUntil, now.addingTimeInterval(wait))
        }
    }
}

/// The start times of a token's latest requests within one window, oldest first: a queue whose
/// front is dropped as it ages out, so recording a start is amortised O(1) and a token polled once a
/// window holds one date, however large its limit.
struct StartHistory: Sendable, Equatable {
    private var times: [Date] = []
    /// Index of the oldest start still kept.
    private var head = 0

    var count: Int { times.count - head }

    /// The latest start, if any.
    var latest: Date? { count > 0 ? times[times.count - 1] : nil }

    /// The `n`-th latest start (1 is the latest), if kept.
    func nth(fromLatest n: Int) -> Date? {
        guard n >= 1, n <= count else { return nil }
        return times[times.count - n]
    }

    /// Appends `date` and forgets starts a whole `window` before it, and the oldest beyond `capacity`.
    mutating func append(_ date: Date, window: TimeInterval, keeping capacity: Int) {
        times.append(date)
        let horizon = date.addingTimeInterval(-window)
        while head < times.count && (times[head] <= horizon || count > capacity) { head += 1 }
        if head > 64 && head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
    }

    /// Keeps only the latest `capacity` starts.
    mutating func trim(to capacity: Int) {
        if count > capacity { head = times.count - max(0, capacity) }
    }
}
