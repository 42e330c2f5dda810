import Dispatch
import Foundation
import Synchronization

@testable import SSOWatchDaemon

/// A `SchedulerClock` whose time moves only when a test says so: `advance(by:)` runs every timer that
/// falls due on the way, in deadline order, each on its queue. Hours of backoff take milliseconds.
final class ManualClock: SchedulerClock {
    private struct Pending {
        let deadline: Date
        let order: Int
        let timer: ManualTimer
        let queue: DispatchQueue
        let handler: @Sendable () -> Void
    }

    private let state: Mutex<(now: Date, pending: [Pending], armed: Int)>

    /// A clock that starts at `start`.
    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex((start, [], 0))
    }

    func now() -> Date { state.withLock { $0.now } }

    func schedule(
        after delay: TimeInterval, leeway: DispatchTimeInterval, on queue: DispatchQueue,
        _ handler: @escaping @Sendable () -> Void
    ) -> any SchedulerTimer {
        let timer = ManualTimer()
        state.withLock { state in
            state.armed += 1
            state.pending.append(
                Pending(
                    deadline: state.now.addingTimeInterval(max(0, delay)), order: state.armed, timer: timer,
                    queue: queue, handler: handler))
        }
        return timer
    }

    /// The deadline of the earliest timer not cancelled, if any.
    var nextDeadline: Date? {
        state.withLock { state in
            state.pending.filter { !$0.timer.isCancelled }.map(\.deadline).min()
        }
    }

    /// Moves time forward by `seconds`, running each timer due by then at its own deadline, earliest
    /// first (timers armed meanwhile included); returns how many ran. Call it off the timers' queues.
    @discardableResult
    func advance(by seconds: TimeInterval) -> Int {
        let target = now().addingTimeInterval(seconds)
        var fired = 0
        while let next = takeNext(dueBy: target) {
            next.queue.sync {
                if !next.timer.isCancelled { next.handler() }
            }
            fired += 1
        }
        state.withLock { $0.now = max($0.now, target) }
        return fired
    }

    /// Removes the earliest live timer due by `target` and moves the time to its deadline.
    private func takeNext(dueBy target: Date) -> Pending? {
        state.withLock { state in
            state.pending.removeAll { $0.timer.isCancelled }
            guard
                let index = state.pending.indices.filter({ state.pending[$0].deadline <= target }).min(by: {
                    (state.pending[$0].deadline, state.pending[$0].order)
                        < (state.pending[$1].deadline, state.pending[$1].order)
                })
            else { return nil }
            let next = state.pending.remove(at: index)
            state.now = max(state.now, next.deadline)
            return next
        }
    }
}

/// A timer of `ManualClock`.
final class ManualTimer: SchedulerTimer, Sendable {
    private let cancelled = Mutex(false)

    var isCancelled: Bool { cancelled.withLock { $0 } }

    func cancel() { cancelled.withLock { $0 = true } }
}
