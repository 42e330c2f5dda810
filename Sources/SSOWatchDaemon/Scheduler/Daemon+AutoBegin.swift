import Foundation
import Logging
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchState

/// `auto_begin_verification` in the daemon (docs/CONFIGURATION.md, "Verification assistance"): after each
/// DNS check, the connector's `AutoBeginRecord` says whether to call `begin_verification` (mode `on`) or to
/// announce the call `dry-run` would make. A call goes through the steps of `AutoBeginStep`: it waits for
/// its token's budget, is sent, and once Cloudflare accepted it, the connector is read back when the read
/// token's budget allows; the outcome is recorded, shown in `status` and, when new in its episode,
/// announced as `verification_started`.
extension Daemon {
    /// One connector's call in progress.
    enum AutoBeginStep {
        /// Waiting for the write token's budget before sending.
        case waitingToCall(any SchedulerTimer)
        case calling(Task<Void, Never>)
        /// Cloudflare accepted the call with this HTTP status; waiting for the read token's budget.
        case waitingToRead(any SchedulerTimer, status: Int, account: AccountConfig)
        case reading(Task<Void, Never>)

        /// The request running, if one is.
        var task: Task<Void, Never>? {
            switch self {
            case .calling(let task), .reading(let task): task
            case .waitingToCall, .waitingToRead: nil
            }
        }
    }

    /// Requests of verification assistance in flight (a stop waits for them, as for polls).
    var autoBeginRequestsInFlight: Int { autoBeginSteps.values.filter { $0.task != nil }.count }

    /// Applies the rules after a DNS check of `key`'s connector, whose new result is already in the state.
    func autoBeginAfterCheck(_ key: DNSCheckSchedule.Key, _ check: DNSRecordCheck) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let account = accounts[key.account]?.config,
            var connector = state.accounts[key.account]?.connectors[key.connector], let status = connector.status,
            // With `off` from the start nothing is kept; a record once made keeps following the checks, so that
            // turning `on` again never acts on a run of `present` checks with unseen ones in between.
            account.autoBegin != .off || connector.autoBegin != nil
        else { return }
        var record = connector.autoBegin ?? AutoBeginRecord()
        let now = dependencies.now()
        let action = record.record(
            check.result, checked: check.checked, status: status, statusSince: connector.statusSince,
            mode: account.autoBegin, interval: configuration.daemon.dns.interval, now: now)
        connector.autoBegin = record
        state.accounts[key.account]?.connectors[key.connector] = connector
        changedAccounts.insert(key.account)
        switch action {
        case .none:
            return
        case .announceWouldCall:
            let detail =
                "dry-run: would call begin_verification now (the TXT record has been on every authoritative "
                + "nameserver since \(CivilDate.hourMinuteUTC(record.presentSince ?? check.checked)) UTC)"
            finishAutoBegin(
                key, account: account,
                VerificationStarter.Outcome(report: AutoBeginReport(mode: .dryRun, outcome: .wouldCall), detail: detail)
            )
        case .call:
            prepareAutoBegin(key, account: account)
        }
    }

    /// Reserves the write token's next request and sends the call then (at once when the budget has room).
    /// The write token has a budget only when an account also polls with it.
    private func prepareAutoBegin(_ key: DNSCheckSchedule.Key, account: AccountConfig) {
        guard autoBeginSteps[key] == nil, let writeToken = account.writeToken else { return }
        let now = dependencies.now()
        let wait = budgets[writeToken.value]?.wait(at: now) ?? 0
        budgets[writeToken.value]?.consume(at: now)
        guard wait > 0 else { return sendAutoBegin(key) }
        logger.debug(
            "begin_verification waits \(formatSeconds(wait)) for the token's request budget",
            metadata: Self.autoBeginMetadata(key, account: account, state: state))
        autoBeginSteps[key] = .waitingToCall(
            makeTimer(after: wait, leeway: .milliseconds(10)) { [unowned self] in self.sendAutoBegin(key) })
    }

    /// Sends the call if it is still due: the connector still `awaiting` or `failed` with its record present,
    /// the account still `on` with a write token (a poll or a reload may have changed that meanwhile).
    private func sendAutoBegin(_ key: DNSCheckSchedule.Key) {
        dispatchPrecondition(condition: .onQueue(queue))
        autoBeginSteps[key] = nil
        guard case .running = lifecycle, let account = accounts[key.account]?.config, account.autoBegin == .on,
            let connector = state.accounts[key.account]?.connectors[key.connector],
            connector.status == .awaiting || connector.status == .failed, connector.dns?.result == .present,
            let starter = VerificationStarter(
                account: account, daemon: configuration.daemon, transport: dependencies.transport)
        else { return }
        let metadata = Self.autoBeginMetadata(key, account: account, state: state)
        let unsent = connector.autoBegin
        state.accounts[key.account]?.connectors[key.connector]?.autoBegin?.sending(at: dependencies.now())
        changedAccounts.insert(key.account)
        // On disk before the request leaves: a crash during the call must not lead to a second one. When the
        // state cannot be written, nothing is sent (and no limit starts): the next present check tries again.
        guard saveState() else {
            state.accounts[key.account]?.connectors[key.connector]?.autoBegin = unsent
            logger.warning(
                "begin_verification not called: the state file cannot be written, so the call could not be remembered; trying again after the next DNS check",
                metadata: metadata)
            return
        }
        logger.info("calling begin_verification (auto_begin_verification = on)", metadata: metadata)
        autoBeginSteps[key] = .calling(
            Task {
                let result = await starter.call(accountID: account.accountID, connectorID: key.connector)
                self.queue.async { self.calledAutoBegin(key, account: account, result) }
            })
    }

    /// The call's answer: a failure is the outcome; an accepted call is read back when the read token's
    /// budget allows (not while stopping: the next poll will tell).
    private func calledAutoBegin(
        _ key: DNSCheckSchedule.Key, account: AccountConfig, _ result: Result<Int, CloudflareAPIError>
    ) {
        dispatchPrecondition(condition: .onQueue(queue))
        autoBeginSteps[key] = nil
        let status: Int
        switch result {
        case .failure(let error):
            metrics?.recordAPIRequest(code: error.httpStatus)
            return finishAutoBegin(key, account: account, VerificationStarter.failure(error))
        case .success(let accepted):
            metrics?.recordAPIRequest(code: accepted)
            status = accepted
        }
        guard case .running = lifecycle else {
            return finishAutoBegin(key, account: account, VerificationStarter.accepted(status: status, readBack: nil))
        }
        let now = dependencies.now()
        let wait = budgets[account.token.value]?.wait(at: now) ?? 0
        budgets[account.token.value]?.consume(at: now)
        guard wait > 0 else { return readAutoBegin(key, account: account, status: status) }
        autoBeginSteps[key] = .waitingToRead(
            makeTimer(after: wait, leeway: .milliseconds(10)) { [unowned self] in
                self.readAutoBegin(key, account: account, status: status)
            }, status: status, account: account)
    }

    private func readAutoBegin(_ key: DNSCheckSchedule.Key, account: AccountConfig, status: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        autoBeginSteps[key] = nil
        guard
            let starter = VerificationStarter(
                account: account, daemon: configuration.daemon, transport: dependencies.transport)
        else { return }
        autoBeginSteps[key] = .reading(
            Task {
                let result = await starter.readBack(accountID: account.accountID, connectorID: key.connector)
                self.queue.async {
                    self.autoBeginSteps[key] = nil
                    if case .failure(let error) = result {
                        self.metrics?.recordAPIRequest(code: error.httpStatus)
                    } else {
                        self.metrics?.recordAPIRequest(code: 200)
                    }
                    self.finishAutoBegin(
                        key, account: account, VerificationStarter.accepted(status: status, readBack: result))
                }
            })
    }

    /// At a stop: calls not sent yet are dropped (nothing was sent, so no limit started), and accepted calls
    /// waiting for their read-back are recorded as they are.
    func stopAutoBegin() {
        for (key, step) in autoBeginSteps {
            switch step {
            case .waitingToCall(let timer):
                timer.cancel()
                autoBeginSteps[key] = nil
            case .waitingToRead(let timer, let status, let account):
                timer.cancel()
                autoBeginSteps[key] = nil
                finishAutoBegin(key, account: account, VerificationStarter.accepted(status: status, readBack: nil))
            case .calling, .reading:
                continue
            }
        }
    }

    /// Records an attempt's outcome, logs it, and announces it when its record says so.
    func finishAutoBegin(_ key: DNSCheckSchedule.Key, account: AccountConfig, _ result: VerificationStarter.Outcome) {
        dispatchPrecondition(condition: .onQueue(queue))
        if case .stopped = lifecycle { return }
        guard var connector = state.accounts[key.account]?.connectors[key.connector] else { return }
        let now = dependencies.now()
        let metadata = Self.autoBeginMetadata(key, account: account, state: state).merging(
            ["http.status": "\(result.report.httpStatus.map(String.init) ?? "none")"]) { $1 }
        metrics?.recordAutoBegin(result.report.outcome)
        var record = connector.autoBegin ?? AutoBeginRecord()
        let announce = record.finish(
            AutoBeginAttempt(mode: result.report.mode, outcome: result.report.outcome, at: now, detail: result.detail))
        connector.autoBegin = record
        state.accounts[key.account]?.connectors[key.connector] = connector
        changedAccounts.insert(key.account)
        switch result.report.outcome {
        case .called, .wouldCall: logger.info("\(result.detail)", metadata: metadata)
        case .refused: logger.error("\(result.detail)", metadata: metadata)
        case .error: logger.warning("\(result.detail)", metadata: metadata)
        }
        if announce {
            let event = ConnectorEvent(
                kind: .verificationStarted, detectedAt: now, accountName: account.name, accountID: account.accountID,
                connectorID: connector.id, emailDomain: connector.emailDomain, enabled: connector.enabled,
                status: connector.displayStatus, previousStatus: nil, previousStatusSince: nil,
                verificationCode: connector.verificationCode, dns: connector.dns, assist: result.report)
            let entries = Outbox.entries(for: [event], account: account, webhooks: configuration.webhooks, now: now)
            state.enqueue(entries)
            for entry in entries { undurableEvents.insert(entry.event.id) }
            logEvent(event, subscribers: entries)
        }
        // `ssowatch status` shows the outcome at once; an event must be on disk before its delivery.
        saveState()
        if case .stopping = lifecycle {
            finishStopIfIdle()
            return
        }
        if announce { pumpDeliveries() }
        // Cloudflare's answer to the call is seen by the next poll: soon, rather than a settled interval later
        // (docs/MONITORING.md, adaptive polling).
        if result.report.outcome == .called {
            pollSoon(accountID: key.account, reason: "begin_verification \(connector.emailDomain ?? connector.id)")
        }
    }

    static func autoBeginMetadata(
        _ key: DNSCheckSchedule.Key, account: AccountConfig, state: StateDocument
    ) -> Logger.Metadata {
        [
            "account": "\(account.name)", "connector": "\(key.connector)",
            "domain": "\(state.accounts[key.account]?.connectors[key.connector]?.emailDomain ?? "")",
        ]
    }
}
