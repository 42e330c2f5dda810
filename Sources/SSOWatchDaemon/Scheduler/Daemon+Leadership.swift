import Dispatch
import Foundation
import Logging
import SSOWatchConfig
import SSOWatchModel
import SSOWatchState

/// An active/passive pair (docs/HA.md): with `ha_postgres_url` the daemon polls, checks DNS and delivers only
/// while it holds the leadership (`lease`). A standby keeps its timers, metrics endpoint and signal handlers
/// but starts no request; when it becomes the leader it reads the shared state and continues from it, and when
/// it loses the leadership it stops every poll, check and delivery at once.
extension Daemon {
    /// Whether this instance may poll and deliver: always without a pair; with one, while it leads and its
    /// lease's latest heartbeat succeeded (checked before each poll and each delivery).
    var isLeading: Bool {
        guard let lease else { return true }
        guard case .leader = role else { return false }
        return lease.isHeld
    }

    /// Connects to the shared store at start and creates or checks its schema. An unreachable database is not
    /// fatal (the instance starts as a standby and keeps trying); a newer schema is (exit 78).
    static func prepareSharedStore(_ store: any StateStore, logger: Logger) throws(DaemonStartError)
        -> LeadershipRole
    {
        do {
            _ = try store.acquireLock()
            return .standby(reason: "connecting to the database")
        } catch {
            if case .newerSchema = error { throw .state(error) }
            let reason = "database unreachable (\(StatusLine.shorten(error.shortReason)))"
            logger.warning("\(error.description); starting as a standby and retrying")
            return .standby(reason: reason)
        }
    }

    /// Starts campaigning for the leadership; its changes arrive on the queue, in order.
    func startCampaign() {
        guard let lease else { return }
        metrics?.setLeader(false)
        lease.start { [weak self] role in
            guard let self else { return }
            self.queue.async { self.leadershipChanged(role) }
        }
    }

    /// `STATUS=` of a standby: `standby: leader is HOST (pid N)`, `standby: database unreachable (…)`.
    var standbyStatus: String? {
        guard case .standby(let reason) = role else { return nil }
        return "standby: \(reason)"
    }

    private func leadershipChanged(_ newRole: LeadershipRole) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle else { return }
        switch newRole {
        case .leader(let epoch):
            startLeading(epoch: epoch)
        case .standby(let reason):
            if case .leader = role {
                stopLeading(reason: reason)
            } else if role != newRole {
                logger.info("standby: \(reason)")
            }
            role = newRole
            publishStatus()
        }
    }

    /// Reads the shared state and resumes every account where the previous leader left it.
    private func startLeading(epoch: Int) {
        let loaded: StateFile.LoadResult
        do {
            loaded = try store.load()
        } catch {
            logger.error("cannot read the shared state after taking the leadership: \(error.description)")
            lease?.resign(reason: "the shared state could not be read")
            return
        }
        role = .leader(epoch: epoch)
        state = loaded.document
        changedAccounts.removeAll()
        undurableEvents.removeAll()
        health = StateHealth()
        statusTally = nil
        let now = dependencies.now()
        let enabled = configuration.accounts.filter(\.enabled)
        for (index, account) in enabled.enumerated() {
            // Due when the previous leader would have polled it; overdue ones spread over the first second.
            let due = state.accounts[account.accountID]?.lastPoll.map {
                $0.addingTimeInterval(account.pollInterval).timeIntervalSince(now)
            }
            let spread = Double(index) / Double(max(1, enabled.count))
            schedulePoll(account.accountID, after: max(spread, min(due ?? 0, account.pollInterval)))
        }
        reconcileOutbox(with: configuration)
        metrics?.update(from: state, configuration: configuration)
        metrics?.setOutboxEvents(state.outbox.count)
        metrics?.setLeader(true)
        logger.notice(
            "this instance leads the pair now; continuing from the shared state",
            metadata: ["epoch": "\(epoch)", "accounts": "\(state.accounts.count)", "outbox": "\(state.outbox.count)"])
        publishStatus()
        pumpDeliveries()
    }

    /// Stops every poll, DNS check and delivery at once (a POST already sent may still complete; the next
    /// leader redelivers it with the same id) and waits as a standby.
    func stopLeading(reason: String) {
        dispatchPrecondition(condition: .onQueue(queue))
        let inFlight = pollsInFlight + deliveriesInFlight.count
        for id in accounts.keys {
            accounts[id]?.timer?.cancel()
            accounts[id]?.timer = nil
            accounts[id]?.poll?.watch.cancel()
            accounts[id]?.poll = nil
            accounts[id]?.waitingForSlot = false
        }
        for task in pollTasks.values { task.cancel() }
        pollTasks.removeAll()
        waiting.removeAll()
        for delivery in deliveriesInFlight.values {
            delivery.task.cancel()
            delivery.request.watch.cancel()
        }
        deliveriesInFlight.removeAll()
        for task in dnsTasks.values { task.cancel() }
        dnsTasks.removeAll()
        dnsSchedule.removeAll()
        for timer in [budgetTimer, deliveryTimer, flushTimer, saveRetryTimer, syncTimer, dnsTimer, claimRetryTimer] {
            timer?.cancel()
        }
        (budgetTimer, deliveryTimer, flushTimer, saveRetryTimer, syncTimer, dnsTimer) = (nil, nil, nil, nil, nil, nil)
        claimRetryTimer = nil
        stateDirty = false
        // What this instance knew is the next leader's now; it reads the shared state again if it leads again.
        state = StateDocument()
        changedAccounts.removeAll()
        undurableEvents.removeAll()
        statusTally = nil
        role = .standby(reason: reason)
        metrics?.update(from: state, configuration: configuration)
        metrics?.setOutboxEvents(0)
        metrics?.setLeader(false)
        logger.warning(
            "no longer the leader (\(reason)): stopped polling and delivering; \(inFlight) request(s) abandoned")
        publishStatus()
    }

    /// The leader found its lease unproven (no successful heartbeat for 5 s: a frozen process, a slow
    /// database): it stops at once and gives the leadership up, to campaign again from scratch.
    func leaseLapsed() {
        guard case .leader = role else { return }
        lease?.resign(reason: "its heartbeat was late")
        stopLeading(reason: "the lease's heartbeat is late")
    }

    /// A write or delivery claim the shared store refused because another instance leads now.
    func leadershipRefused(_ error: StateFileError) {
        lease?.resign(reason: "the database refused a write of this instance's epoch")
        if case .leader = role { stopLeading(reason: "another instance leads now") }
        logger.error("\(error.description)")
    }

    /// Claims the delivery of `entries` in the shared store (fencing, docs/HA.md); false when it may not be
    /// sent now: this instance was deposed (it stops leading) or the database did not answer (retried in 1 s).
    func claimDelivery(_ entries: [OutboxEntry]) -> Bool {
        guard lease != nil else { return true }
        guard isLeading else {
            leaseLapsed()
            return false
        }
        do {
            try store.claimDelivery(entries.map(OutboxKey.init))
            return true
        } catch {
            if case .deposed = error {
                leadershipRefused(error)
                return false
            }
            logger.warning("cannot claim a delivery, retrying in 1 s: \(error.description)")
            if claimRetryTimer == nil {
                claimRetryTimer = makeTimer(after: 1, leeway: .milliseconds(100)) { [unowned self] in
                    self.claimRetryTimer = nil
                    self.pumpDeliveries()
                }
            }
            return false
        }
    }
}
