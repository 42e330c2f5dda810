import Dispatch
import Foundation

/// The daemon's time: what time it is, and one-shot timers that run on the scheduler's queue.
///
/// Every decision the scheduler makes (when to poll, how long a token's budget makes a request wait, when
/// a retry or a sync is due, when a request is overdue) reads this clock and waits on its timers, so a
/// test that injects a manual clock drives the scheduler through hours of backoff in milliseconds.
public protocol SchedulerClock: Sendable {
    /// The current date.
    func now() -> Date

    /// Runs `handler` on `queue` `delay` seconds from now (at once when `delay` ≤ 0), unless the returned
    /// timer is cancelled first. `leeway` is how late it may run, which lets the system coalesce wake-ups.
    func schedule(
        after delay: TimeInterval, leeway: DispatchTimeInterval, on queue: DispatchQueue,
        _ handler: @escaping @Sendable () -> Void
    ) -> any SchedulerTimer
}

/// A timer a `SchedulerClock` armed.
public protocol SchedulerTimer: AnyObject {
    /// Stops the timer; its handler does not run afterwards (when called on the timer's queue).
    func cancel()
}

/// The production clock: the system's date and `DispatchSourceTimer`s.
public struct DispatchSchedulerClock: SchedulerClock {
    /// The system clock.
    public init() {}

    public func now() -> Date { Date() }

    public func schedule(
        after delay: TimeInterval, leeway: DispatchTimeInterval, on queue: DispatchQueue,
        _ handler: @escaping @Sendable () -> Void
    ) -> any SchedulerTimer {
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + max(0, delay), leeway: leeway)
        source.setEventHandler(handler: handler)
        source.resume()
        return DispatchTimer(source: source)
    }
}

/// A `DispatchSourceTimer` behind `SchedulerTimer`.
final class DispatchTimer: SchedulerTimer {
    let source: any DispatchSourceTimer

    init(source: any DispatchSourceTimer) {
        self.source = source
    }

    func cancel() { source.cancel() }
}
