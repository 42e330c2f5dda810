import Foundation
import Logging
import SSOWatchConfig
import SSOWatchDNS
import SSOWatchModel
import SSOWatchState

/// The DNS check in the daemon (docs/DNS.md): each awaiting, pending or failed connector's TXT record,
/// on first sight, after each status change and every `dns_check_interval`, beside polling and never
/// through the Cloudflare API. Results go into the state (`status` shows them), and an episode's
/// `dns_missing` or `dns_found` into the outbox like any event.
extension Daemon {
    /// Applies the `dns_*` settings of a (re)loaded configuration.
    func applyDNSConfiguration(_ configuration: Configuration) {
        let settings = configuration.daemon.dns
        guard settings.enabled else {
            recordChecker = nil
            dnsSchedule.removeAll()
            for task in dnsTasks.values { task.cancel() }
            dnsTasks.removeAll()
            dnsTimer?.cancel()
            dnsTimer = nil
            return
        }
        recordChecker = RecordChecker(config: settings, logger: logger)
        dnsSchedule.keep(accounts: Set(configuration.accounts.filter(\.enabled).map(\.accountID)))
        pumpDNSChecks()
    }

    /// After a successful poll of `accountID`: watches its awaiting, pending and failed connectors that
    /// have a domain and a code; those in `changed` (a status change) are checked at once.
    func watchDNS(accountID: String, changed: Set<String>) {
        guard recordChecker != nil, let account = state.accounts[accountID] else { return }
        var watched: [String: Bool] = [:]
        for (id, connector) in account.connectors where Self.isDNSChecked(connector) {
            watched[id] = changed.contains(id)
        }
        dnsSchedule.update(account: accountID, watched: watched, now: dependencies.now())
        pumpDNSChecks()
    }

    static func isDNSChecked(_ connector: ConnectorState) -> Bool {
        guard let status = connector.status, status != .verified else { return false }
        return connector.emailDomain != nil && connector.verificationCode != nil
    }

    /// Starts the checks that are due, within the schedule's limit, and arms the timer for the next.
    func pumpDNSChecks() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle, isLeading, let checker = recordChecker else { return }
        let now = dependencies.now()
        let started = dnsSchedule.start(now: now) {
            nextDNSCheckID += 1
            return nextDNSCheckID
        }
        for (key, id) in started {
            guard let connector = state.accounts[key.account]?.connectors[key.connector],
                let domain = connector.emailDomain, let code = connector.verificationCode
            else {
                _ = dnsSchedule.finish(key, id: id, next: now.addingTimeInterval(configuration.daemon.dns.interval))
                continue
            }
            let clock = dependencies.clock
            dnsTasks[id] = Task {
                let check = await checker.check(domain: domain, code: code) { clock.now() }
                self.queue.async { self.finishDNSCheck(key, id: id, check) }
            }
        }
        dnsTimer?.cancel()
        dnsTimer = nil
        if let next = dnsSchedule.nextDue {
            dnsTimer = makeTimer(after: next.timeIntervalSince(now), leeway: .seconds(1)) { [unowned self] in
                self.pumpDNSChecks()
            }
        }
    }

    /// Records a check's result and announces what its episode says to.
    private func finishDNSCheck(_ key: DNSCheckSchedule.Key, id: Int, _ check: DNSRecordCheck) {
        dispatchPrecondition(condition: .onQueue(queue))
        dnsTasks[id] = nil
        let now = dependencies.now()
        guard case .running = lifecycle,
            dnsSchedule.finish(key, id: id, next: now.addingTimeInterval(configuration.daemon.dns.interval)),
            var connector = state.accounts[key.account]?.connectors[key.connector],
            Self.isDNSChecked(connector), let status = connector.status
        else {
            pumpDNSChecks()
            return
        }
        let previous = connector.dns
        connector.dns = check
        var episode = connector.dnsEpisode ?? DNSEpisode()
        let announcement = episode.record(check.result, status: status)
        connector.dnsEpisode = episode
        state.accounts[key.account]?.connectors[key.connector] = connector
        changedAccounts.insert(key.account)
        let metadata: Logger.Metadata = [
            "account": "\(state.accounts[key.account]?.name ?? key.account)", "connector": "\(key.connector)",
            "domain": "\(connector.emailDomain ?? "")", "dns.result": "\(check.result.rawValue)",
        ]
        logger.debug("DNS check: \(check.detail)", metadata: metadata)
        autoBeginAfterCheck(key, check)
        let account = accounts[key.account]?.config
        if let account { metrics?.update(account: account, state: state.accounts[key.account]) }
        if let announcement, let account {
            let event = ConnectorEvent(
                kind: announcement == .dnsMissing ? .dnsMissing : .dnsFound, detectedAt: now,
                accountName: account.name, accountID: account.accountID, connectorID: connector.id,
                emailDomain: connector.emailDomain, enabled: connector.enabled, status: status.rawValue,
                previousStatus: nil, previousStatusSince: nil, verificationCode: connector.verificationCode,
                dns: check,
                autoBegin: announcement == .dnsFound && account.autoBegin != .off ? account.autoBegin : nil)
            let entries = Outbox.entries(for: [event], account: account, webhooks: configuration.webhooks, now: now)
            state.enqueue(entries)
            for entry in entries { undurableEvents.insert(entry.event.id) }
            logEvent(event, subscribers: entries)
            // As with a poll's events: on disk before any delivery starts.
            saveState()
            pumpDeliveries()
            // The record is right now: Cloudflare may verify a pending connector any moment.
            if announcement == .dnsFound {
                pollSoon(accountID: key.account, reason: "dns_found \(connector.emailDomain ?? connector.id)")
            }
        } else if previous?.result != check.result || previous?.nameservers != check.nameservers {
            // `ssowatch status` shows the result: a new one is written at once, a repeated one with the flush.
            saveState()
        } else {
            markDirty()
        }
        pumpDNSChecks()
    }
}
