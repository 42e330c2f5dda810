import Foundation
import Logging
import SSOWatchConfig
import SSOWatchModel
import SSOWatchState

/// Adaptive polling (docs/MONITORING.md): which interval each account is on, the order in which due
/// accounts get their token's budget, and the poll soon after something that may change a connector.
/// The budget itself (`TokenBudget`) stays the hard limit; this only chooses whom to spend it on.
extension Daemon {
    /// After a successful poll: the account's pace from its connectors as just recorded, logged when it
    /// changes. Returns the interval to the next poll (before jitter).
    func updatePace(_ account: AccountConfig, now: Date) -> TimeInterval {
        let pace = PollPace.of(state.accounts[account.accountID])
        if let previous = accounts[account.accountID]?.pace, previous != pace, account.isAdaptive {
            let interval = ValueParsers.formatDuration(pace.interval(for: account))
            logger.info(
                pace == .settled
                    ? "every connector is settled: polling every \(interval) (settled_poll_interval)"
                    : "a connector is pending or its status unknown: polling every \(interval) (poll_interval)",
                metadata: ["account": "\(account.name)"])
        }
        accounts[account.accountID]?.pace = pace
        return pace.interval(for: account)
    }

    /// Puts a due account among those waiting for a request slot or their token's budget. They are served
    /// earliest deadline first: a poll asked for soon at once, the others by when they became due plus their
    /// interval. So while the budget is short, an account with a pending connector goes before settled ones
    /// that became due a little earlier, yet a settled one is never held back much longer than its own
    /// interval; accounts of one pace take turns in the order they became due.
    func enqueueDue(_ accountID: String) {
        guard var runtime = accounts[accountID] else { return }
        let now = dependencies.now()
        runtime.waitDeadline = runtime.soon ? now : now.addingTimeInterval(runtime.pace.interval(for: runtime.config))
        accounts[accountID] = runtime
        insertWaiting(accountID, deadline: runtime.waitDeadline)
    }

    /// Inserts after every waiting account whose deadline is not later (binary search).
    private func insertWaiting(_ accountID: String, deadline: Date) {
        var low = 0
        var high = waiting.count
        while low < high {
            let middle = (low + high) / 2
            if (accounts[waiting[middle]]?.waitDeadline ?? .distantPast) <= deadline {
                low = middle + 1
            } else {
                high = middle
            }
        }
        waiting.insert(accountID, at: low)
    }

    /// Polls the account once more soon: its next poll starts within 10 s (after `PollSchedule.soonDelay`, then
    /// first in line for its token's budget), or right after the poll in flight ends. Never a second poll in
    /// flight, never before a failed poll's backoff or a 429's pause ends, and nothing for an account that is
    /// not polled (disabled, removed, or the daemon not running). Called on the scheduler's queue after a
    /// `dns_found` event and after ssowatch called `begin_verification` (docs/MONITORING.md).
    /// - Parameters:
    ///   - accountID: the Cloudflare account id.
    ///   - reason: why, for the log (`dns_found example.com`).
    package func pollSoon(accountID: String, reason: String) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle, var runtime = accounts[accountID] else { return }
        let metadata: Logger.Metadata = ["account": "\(runtime.config.name)", "reason": "\(reason)"]
        if (state.accounts[accountID]?.consecutiveFailures ?? 0) > 0 {
            logger.debug("not polling soon: the account's polls are failing and back off", metadata: metadata)
            return
        }
        if runtime.polling {
            runtime.soon = true
            accounts[accountID] = runtime
            logger.debug("polling again soon, after the poll in flight", metadata: metadata)
            return
        }
        if runtime.waitingForSlot {
            guard !runtime.soon else { return }
            // Already due: moved to the front of the line.
            runtime.soon = true
            accounts[accountID] = runtime
            waiting.removeAll { $0 == accountID }
            enqueueDue(accountID)
            logger.debug("polling soon: first in line for the token's budget", metadata: metadata)
            pumpPolls()
            return
        }
        let now = dependencies.now()
        if let next = runtime.nextPollAt, next.timeIntervalSince(now) <= PollSchedule.soonDelay {
            runtime.soon = true
            accounts[accountID] = runtime
            return
        }
        runtime.soon = true
        accounts[accountID] = runtime
        logger.debug("polling soon", metadata: metadata)
        schedulePoll(accountID, after: PollSchedule.soonDelay)
    }
}
