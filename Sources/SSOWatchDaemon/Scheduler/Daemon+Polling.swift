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
    /// Brings the account timers, budgets and outbox in line with a (new) configuration: kept
    /// accounts keep their schedule, new ones are staggered, removed ones stop.
    func applyConfiguration(_ configuration: Configuration, isReload: Bool) {
        dispatchPrecondition(condition: .onQueue(queue))
        let enabled = configuration.accounts.filter(\.enabled)
        let enabledIDs = Set(enabled.map(\.accountID))
        for (id, runtime) in accounts where !enabledIDs.contains(id) {
            runtime.timer?.cancel()
            if let poll = runtime.poll {
                // Its answer would be discarded; cancelling frees the request slot sooner.
                poll.watch.cancel()
                pollTasks[poll.id]?.cancel()
            }
            accounts[id] = nil
            waiting.removeAll { $0 == id }
            logger.info("account no longer polled", metadata: ["account": "\(runtime.config.name)"])
        }
        let configuredIDs = Set(configuration.accounts.map(\.accountID))
        for id in state.accounts.keys where !configuredIDs.contains(id) {
            state.accounts[id] = nil
            changedAccounts.insert(id)
            markDirty()
        }
        var newBudgets: [String: TokenBudget] = [:]
        let now = dependencies.now()
        for account in enabled where newBudgets[account.token.value] == nil {
            // A kept token keeps its history, so a new `rate_limit` applies at once without letting the
            // requests already made plus the next ones exceed it in any window.
            newBudgets[account.token.value] =
                budgets[account.token.value].map { $0.withLimit(configuration.daemon.rateLimit) }
                ?? TokenBudget(limit: configuration.daemon.rateLimit, now: now)
        }
        budgets = newBudgets

        for (index, account) in enabled.enumerated() {
            if var runtime = accounts[account.accountID] {
                let intervalChanged =
                    runtime.config.pollInterval != account.pollInterval
                    || runtime.config.settledInterval != account.settledInterval
                runtime.config = account
                accounts[account.accountID] = runtime
                if intervalChanged && !runtime.polling && !runtime.waitingForSlot {
                    schedulePoll(
                        account.accountID,
                        after: PollSchedule.initialDelay(
                            index: index, count: enabled.count, interval: runtime.pace.interval(for: account)))
                }
            } else {
                // What the state file says about its connectors sets its pace from the start: after a restart,
                // settled accounts are spread over their settled interval, the others over poll_interval.
                var runtime = AccountRuntime(config: account)
                runtime.pace = PollPace.of(state.accounts[account.accountID])
                accounts[account.accountID] = runtime
                let delay = PollSchedule.initialDelay(
                    index: index, count: enabled.count, interval: runtime.pace.interval(for: account))
                schedulePoll(account.accountID, after: isReload ? min(delay, 1) : delay)
            }
        }
        reconcileOutbox(with: configuration)
        applyDNSConfiguration(configuration)
        statusTally = nil
    }

    /// Arms the account's one-shot timer.
    func schedulePoll(_ accountID: String, after delay: TimeInterval) {
        guard case .running = lifecycle, isLeading, var runtime = accounts[accountID] else { return }
        runtime.timer?.cancel()
        // A little leeway lets the kernel coalesce wake-ups; it never delays a poll noticeably.
        let leeway = DispatchTimeInterval.milliseconds(Int(min(1000, max(1, delay * 10))))
        runtime.timer = makeTimer(after: delay, leeway: leeway) { [unowned self] in self.pollDue(accountID) }
        runtime.nextPollAt = dependencies.now().addingTimeInterval(delay)
        accounts[accountID] = runtime
    }

    private func pollDue(_ accountID: String) {
        // The leader of a pair checks its lease before each poll (docs/HA.md).
        if lease != nil && !isLeading {
            leaseLapsed()
            return
        }
        guard case .running = lifecycle, var runtime = accounts[accountID], !runtime.polling,
            !runtime.waitingForSlot
        else { return }
        runtime.timer = nil
        runtime.nextPollAt = nil
        runtime.waitingForSlot = true
        accounts[accountID] = runtime
        enqueueDue(accountID)
        pumpPolls()
    }

    /// Starts as many waiting polls as the concurrency limit and the tokens' budgets allow, in
    /// the order they became due (so no account starves), and arms a timer for the rest.
    func pumpPolls() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle, isLeading else { return }
        let now = dependencies.now()
        var earliestWait: TimeInterval?
        var index = 0
        while index < waiting.count && pollsInFlight < configuration.daemon.maxConcurrentRequests {
            let id = waiting[index]
            guard let runtime = accounts[id] else {
                waiting.remove(at: index)
                continue
            }
            let token = runtime.config.token.value
            let wait = budgets[token]?.wait(at: now) ?? 0
            if wait > 0 {
                earliestWait = min(earliestWait ?? wait, wait)
                index += 1
                continue
            }
            budgets[token]?.consume(at: now)
            waiting.remove(at: index)
            startPoll(id)
        }
        budgetTimer?.cancel()
        budgetTimer = nil
        if let earliestWait, pollsInFlight < configuration.daemon.maxConcurrentRequests {
            budgetTimer = makeTimer(after: earliestWait, leeway: .milliseconds(10)) { [unowned self] in
                self.pumpPolls()
            }
        }
    }

    private func startPoll(_ accountID: String) {
        guard var runtime = accounts[accountID] else { return }
        let account = runtime.config
        let client = CloudflareClient(
            baseURL: configuration.daemon.apiBaseURL, token: account.token, transport: dependencies.transport,
            timeout: configuration.daemon.requestTimeout)
        runtime.waitingForSlot = false
        runtime.soon = false
        let poll = watchRequest(bound: configuration.daemon.requestTimeout) { [unowned self] id in
            self.pollOverdue(accountID, requestID: id)
        }
        runtime.poll = poll
        logger.debug("polling", metadata: ["account": "\(account.name)"])
        let requestID = poll.id
        pollTasks[requestID] = Task {
            let started = ContinuousClock.now
            let result: Result<ConnectorList, CloudflareAPIError>
            do throws(CloudflareAPIError) {
                result = .success(try await client.listConnectors(accountID: account.accountID))
            } catch {
                result = .failure(error)
            }
            let duration = ContinuousClock.now - started
            self.queue.async { self.finishPoll(account, requestID: requestID, result, duration: duration) }
        }
        accounts[accountID] = runtime
    }

    /// A poll outlived `request_timeout` plus the margin although every exchange has that deadline: it is
    /// cancelled and abandoned (its answer, should one come, is discarded) and ends as a failed poll that is
    /// `overdue`, polled again after the usual backoff.
    private func pollOverdue(_ accountID: String, requestID: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle, let runtime = accounts[accountID], let poll = runtime.poll,
            poll.id == requestID
        else { return }
        pollTasks[requestID]?.cancel()
        let elapsed = dependencies.now().timeIntervalSince(poll.started)
        let reason =
            "poll overdue: no answer \(formatSeconds(elapsed.rounded())) after its request started (request_timeout "
            + "is \(formatSeconds(configuration.daemon.requestTimeout))); cancelled"
        let error = CloudflareAPIError(kind: .transport(reason), operation: "GET /accounts/\(accountID)/sso_connectors")
        finishPoll(
            runtime.config, requestID: requestID, .failure(error), duration: .milliseconds(Int64(elapsed * 1000)),
            overdue: true)
    }

    /// - Parameter overdue: the poll was declared overdue (`pollOverdue`): no answer came at all.
    private func finishPoll(
        _ account: AccountConfig, requestID: Int, _ result: Result<ConnectorList, CloudflareAPIError>,
        duration: Duration = .zero, overdue: Bool = false
    ) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard pollTasks.removeValue(forKey: requestID) != nil else {
            logger.debug(
                "discarding the late answer of a poll declared overdue", metadata: ["account": "\(account.name)"])
            return
        }
        // The account was removed, disabled or re-enabled by a reload while this request was in flight:
        // its answer may be older than one already recorded, or put a removed account back into the state.
        guard let poll = accounts[account.accountID]?.poll, poll.id == requestID else {
            logger.debug(
                "discarding a poll answer from before a reload", metadata: ["account": "\(account.name)"])
            recordPollMetrics(account, result, duration: duration)
            if case .stopping = lifecycle { finishStopIfIdle() } else { pumpPolls() }
            return
        }
        poll.watch.cancel()
        accounts[account.accountID]?.poll = nil
        let now = dependencies.now()
        let metadata: Logger.Metadata = ["account": "\(account.name)"]
        var previous = state.accountState(for: account)
        let wasOverdue = previous.overdue
        previous.overdue = false
        var nextDelay: TimeInterval
        switch result {
        case .success(let list):
            budgets[account.token.value]?.answered()
            if let quota = list.rateLimit {
                budgets[account.token.value]?.observe(quota, at: now)
            }
            for warning in list.warnings { logger.warning("\(warning)", metadata: metadata) }
            let outcome = TransitionEngine.apply(
                previous: previous, connectors: list.connectors, account: account, now: now,
                notifyOnFirstSeen: configuration.daemon.notifyOnFirstSeen,
                stuckAfter: configuration.daemon.stuckAfter, listIsComplete: list.isComplete)
            for warning in outcome.warnings { logger.warning("\(warning)", metadata: metadata) }
            let entries = Outbox.entries(
                for: outcome.events, account: account, webhooks: configuration.webhooks, now: now)
            state.record(outcome, enqueue: entries)
            changedAccounts.insert(account.accountID)
            // Before the save: a failed save publishes `STATUS=` at once, which must count these changes.
            statusTally?.update(accountID: account.accountID, state: state.accounts[account.accountID])
            for entry in entries { undurableEvents.insert(entry.event.id) }
            if previous.lastError != nil {
                logger.notice("account recovered", metadata: metadata)
            }
            for event in outcome.events { logEvent(event, subscribers: entries.filter { $0.event.id == event.id }) }
            let statusChanges: Set<EventKind> = [.verified, .failed, .pending, .awaiting]
            watchDNS(
                accountID: account.accountID,
                changed: Set(outcome.events.filter { statusChanges.contains($0.kind) }.map(\.connectorID)))
            // Events must be on disk before any delivery starts (the outbox guarantee), and so must
            // a first baseline: were it lost to a crash, the next run would re-baseline silently and
            // a change in between would never be announced. Whatever `ssowatch status` shows besides
            // routine times (an error cleared, a connector's status, even an unknown one) is written at
            // once too, so it agrees with the daemon; only poll times wait for the flush.
            if outcome.events.isEmpty && previous.baselineDone && !wasOverdue && previous.lastError == nil
                && !Self.connectorsLookDifferent(previous, outcome.state)
            {
                markDirty()
            } else {
                saveState()
            }
            logger.debug("poll ok", metadata: metadata.merging(["connectors": "\(list.connectors.count)"]) { $1 })
            nextDelay = PollSchedule.nextDelay(
                interval: updatePace(account, now: now), jitter: configuration.daemon.jitter,
                random: dependencies.random())
            if accounts[account.accountID]?.soon == true { nextDelay = min(nextDelay, PollSchedule.soonDelay) }
        case .failure(let error):
            var failed = TransitionEngine.recordFailure(previous: previous, error: error.reason, now: now)
            failed.overdue = overdue
            state.accounts[account.accountID] = failed
            changedAccounts.insert(account.accountID)
            statusTally?.update(accountID: account.accountID, state: failed)
            // A new or different error is shown by `ssowatch status` at once; the same one again is routine.
            if overdue || wasOverdue || failed.lastError != previous.lastError { saveState() } else { markDirty() }
            let failures = state.accounts[account.accountID]?.consecutiveFailures ?? 1
            // The backoff is capped at the interval of the account's pace, which a failed poll does not change;
            // a poll asked for soon meanwhile waits for the backoff too.
            let pace = accounts[account.accountID]?.pace ?? .frequent
            accounts[account.accountID]?.soon = false
            nextDelay = PollSchedule.failureDelay(failures: failures, interval: pace.interval(for: account))
            if error.isRateLimited, var budget = budgets[account.token.value] {
                let pause = budget.rateLimited(retryAfter: error.retryAfter, at: now)
                budgets[account.token.value] = budget
                nextDelay = max(nextDelay, pause)
            } else if !overdue {
                budgets[account.token.value]?.answered()
                if let quota = error.rateLimit {
                    budgets[account.token.value]?.observe(quota, at: now)
                }
            }
            let retry = formatSeconds(nextDelay.rounded(.up))
            if overdue {
                // Work that outlived its deadline is a fault of ssowatch's or its host's, not of the API's.
                logger.error("\(error.reason); polling again in \(retry)", metadata: metadata)
            } else {
                logger.log(
                    level: error.isTransient ? .warning : .error, "poll failed: \(error)",
                    metadata: metadata.merging(
                        ["http.status": "\(error.httpStatus.map(String.init) ?? "none")", "retry_in": "\(retry)"]
                    ) { $1 })
            }
        }
        recordPollMetrics(account, result, duration: duration)
        publishStatus()
        if case .stopping = lifecycle {
            finishStopIfIdle()
            return
        }
        schedulePoll(account.accountID, after: nextDelay)
        pumpPolls()
        pumpDeliveries()
    }

    func logEvent(_ event: ConnectorEvent, subscribers: [OutboxEntry]) {
        var metadata: Logger.Metadata = [
            "account": "\(event.accountName)", "connector": "\(event.connectorID)", "domain": "\(event.displayDomain)",
            "event": "\(event.kind.rawValue)", "event_id": "\(event.id)",
        ]
        if let previous = event.previousStatus { metadata["previous"] = "\(previous.rawValue)" }
        let recipients = subscribers.map(\.webhook).joined(separator: ",")
        metadata["webhooks"] = "\(recipients.isEmpty ? "none" : recipients)"
        logger.info(
            "\(event.displayDomain) is \(event.kind == .removed ? "removed" : event.status)", metadata: metadata)
    }

    /// Whether `status` would show the connectors of `new` differently from `old`: one appeared or went,
    /// or its status (the raw one, unknown included) changed.
    static func connectorsLookDifferent(_ old: AccountState, _ new: AccountState) -> Bool {
        guard old.connectors.count == new.connectors.count else { return true }
        for (id, connector) in new.connectors {
            guard let before = old.connectors[id], before.displayStatus == connector.displayStatus else { return true }
        }
        return false
    }
}
