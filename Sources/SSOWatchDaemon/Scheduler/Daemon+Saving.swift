import Dispatch
import Foundation
import Logging
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

extension Daemon {
    // MARK: - State persistence

    /// Writes the state now: the changed accounts, outbox and webhooks go to the journal, or with `whole`
    /// the whole state file is rewritten (see `JournaledStateFile`).
    ///
    /// A failure (a full disk, EIO, a read-only file system) holds back the delivery of every event not yet
    /// saved (docs/STATE.md: nothing is delivered before it is durable), is logged at `error`, shown in
    /// `STATUS=`, `ssowatch status` and `/metrics`, and retried after 1 s, doubling up to 30 s; the daemon
    /// keeps running with what it knows in memory and catches up by itself once a write succeeds.
    ///
    /// - Parameter durable: false for what may be lost to a crash without breaking a promise (a delivery's
    ///   outcome: the event is redelivered with its id); it is synced within `syncDelay`.
    /// - Returns: whether the state was written.
    @discardableResult
    func saveState(whole: Bool = false, durable: Bool = true) -> Bool {
        dispatchPrecondition(condition: .onQueue(queue))
        do {
            try store.save(state, changedAccounts: whole ? nil : changedAccounts, durable: durable || whole)
        } catch {
            if case .deposed = error {
                // Another instance of the pair leads now: its state wins; this one stops at once.
                leadershipRefused(error)
                return false
            }
            stateWriteFailed(error)
            return false
        }
        if durable || whole {
            syncTimer?.cancel()
            syncTimer = nil
        } else if syncTimer == nil {
            syncTimer = makeTimer(after: syncDelay, leeway: .milliseconds(100)) { [unowned self] in
                self.syncTimer = nil
                do throws(StateFileError) {
                    try self.store.sync()
                } catch {
                    if case .deposed = error { self.leadershipRefused(error) } else { self.stateWriteFailed(error) }
                }
            }
        }
        changedAccounts.removeAll(keepingCapacity: true)
        state.outboxLog = OutboxLog()
        stateDirty = false
        flushTimer?.cancel()
        flushTimer = nil
        saveRetryTimer?.cancel()
        saveRetryTimer = nil
        let wasFailing = health.lastError != nil
        health = StateHealth(lastSaved: dependencies.now(), lastError: nil)
        // An in-place overwrite of a preallocated file, not synced: cheap enough for every save.
        recordHealth()
        if wasFailing {
            consecutiveSaveFailures = 0
            logger.notice("the state file is written again; held notifications are delivered now")
            publishStatus()
        }
        if !undurableEvents.isEmpty {
            undurableEvents.removeAll()
            if case .running = lifecycle { pumpDeliveries() }
        }
        return true
    }

    /// Writes `health` for `ssowatch status`. Failing to is logged once per streak: the state itself is
    /// unaffected, but `status` then shows an older `state` object than `STATUS=`.
    private func recordHealth() {
        let kept = store.recordHealth(health)
        if !kept && healthRecorded {
            let path = configuration.daemon.stateFile + ".health"
            logger.warning("cannot write \(path): `ssowatch status` does not show the latest state write until it can")
        }
        healthRecorded = kept
    }

    private func stateWriteFailed(_ error: StateFileError) {
        consecutiveSaveFailures += 1
        stateDirty = true
        let message = TransitionEngine.oneLine(error.description)
        let changed = health.lastError != message
        saveFailureReason = error.shortReason
        health.lastError = message
        recordHealth()
        metrics?.recordStateWriteFailure()
        if case .stopped = lifecycle {
            // The save at stop: nothing retries it. What it held is not lost for good, since the next start
            // compares its first poll with the state last saved and announces what still differs.
            let held = undurableEvents.count
            logger.error(
                "\(message); stopping with \(held) notification(s) not saved: the next start announces the changes that are still there",
                metadata: ["failures": "\(consecutiveSaveFailures)"])
            if changed { publishStatus() }
            return
        }
        let delay = min(30, pow(2, Double(min(consecutiveSaveFailures - 1, 5))))
        // Logged when the reason changes and then every tenth retry, not at every retry of a long outage.
        if changed || consecutiveSaveFailures % 10 == 1 {
            let held = undurableEvents.count
            logger.error(
                "\(message); \(held) notification(s) held until it is written; retrying in \(formatSeconds(delay))",
                metadata: ["failures": "\(consecutiveSaveFailures)"])
        }
        if changed { publishStatus() }
        guard saveRetryTimer == nil else { return }
        saveRetryTimer = makeTimer(after: delay, leeway: .milliseconds(100)) { [unowned self] in
            self.saveRetryTimer = nil
            if self.stateDirty { self.saveState() }
        }
    }

    /// Notes a change that carries no event (poll times, errors): written within `flushDelay`,
    /// so a quiet daemon does not rewrite its state file on every poll.
    func markDirty() {
        stateDirty = true
        scheduleFlush()
    }

    private func scheduleFlush() {
        guard flushTimer == nil else { return }
        if case .stopped = lifecycle { return }
        flushTimer = makeTimer(after: flushDelay, leeway: .seconds(1)) { [unowned self] in
            self.flushTimer?.cancel()
            self.flushTimer = nil
            if self.stateDirty { self.saveState() }
        }
    }
}
