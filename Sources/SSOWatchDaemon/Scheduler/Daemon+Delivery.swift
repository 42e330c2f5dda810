import Dispatch
import Foundation
import Logging
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchNotify
import SSOWatchState

extension Daemon {
    /// Drops what is too old to deliver, applies a (re)loaded configuration to the outbox.
    func reconcileOutbox(with configuration: Configuration) {
        let report = state.reconcile(webhooks: configuration.webhooks)
        for entry in report.dropped {
            logger.error(
                "dropping a queued notification: its webhook is no longer configured",
                metadata: deliveryMetadata(entry))
        }
        for name in report.resumedWebhooks {
            logger.notice(
                "webhook URL changed; resuming delivery of its held notifications", metadata: ["webhook": "\(name)"])
        }
        if !report.dropped.isEmpty || !report.resumedWebhooks.isEmpty { saveState() }
        recordDroppedMetrics(report.dropped)
    }

    /// Starts a delivery for every webhook whose oldest notification is ready and that has no
    /// request in flight, and arms a timer for the earliest retry.
    func pumpDeliveries() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle, isLeading else { return }
        let now = dependencies.now()
        let expired = state.dropExpired(now: now, maxAge: configuration.daemon.deliveryMaxAge)
        for entry in expired {
            logger.error(
                "giving up on a notification after \(formatSeconds(configuration.daemon.deliveryMaxAge)): \(entry.lastError ?? "never delivered")",
                metadata: deliveryMetadata(entry))
        }
        if !expired.isEmpty { saveState() }
        recordDroppedMetrics(expired)

        let busy = Set(deliveriesInFlight.keys)
        let generic = Set(configuration.webhooks.filter { $0.type == .generic }.map(\.name))
        let batches = state.deliverableBatches(
            now: now, limit: { generic.contains($0) ? 1 : 1000 }, excluding: busy,
            webhookCount: configuration.webhooks.count)
        for batch in batches {
            guard let webhook = configuration.webhook(named: batch.webhook) else { continue }
            // Nothing is delivered before it is saved: a webhook waits at its first event not yet written.
            let durable =
                undurableEvents.isEmpty
                ? batch.entries : batch.entries.prefix { !undurableEvents.contains($0.event.id) }
            guard !durable.isEmpty else { continue }
            let entries = Self.messageEntries(Array(durable), type: webhook.type)
            // A pair's leader claims each delivery with its epoch first (fencing, docs/HA.md).
            guard claimDelivery(entries) else {
                guard isLeading else { return }
                continue
            }
            startDelivery(to: webhook, entries: entries)
        }
        armDeliveryTimer(now: now)
    }

    /// The entries one message carries: a cycle's events together when there are more than
    /// `Renderers.batchThreshold` of them for a chat webhook, else the oldest entry alone.
    static func messageEntries(_ ready: [OutboxEntry], type: WebhookType) -> [OutboxEntry] {
        guard let head = ready.first, type != .generic else { return Array(ready.prefix(1)) }
        let cycle = ready.prefix {
            $0.event.detectedAt == head.event.detectedAt && $0.event.accountID == head.event.accountID
        }
        return cycle.count > Renderers.batchThreshold ? Array(cycle) : [head]
    }

    /// Arms the delivery timer for the earliest work that can start: a retry of a webhook with nothing in
    /// flight, or an entry's expiry. A webhook whose attempt is in flight wakes the daemon when it ends (or
    /// is overdue), never through this timer: its head entry's retry time is in the past while it is being
    /// retried, and counting it re-armed the timer at 0 s again and again.
    private func armDeliveryTimer(now: Date) {
        deliveryTimer?.cancel()
        deliveryTimer = nil
        let busy = Set(deliveriesInFlight.keys)
        let expiry = state.nextExpiry(
            maxAge: configuration.daemon.deliveryMaxAge, excluding: busy, webhookCount: configuration.webhooks.count)
        let retry = state.nextRetryDate(excluding: busy, webhookCount: configuration.webhooks.count)
        guard claimRetryTimer == nil, let wake = [retry, expiry].compactMap({ $0 }).min() else { return }
        deliveryTimer = makeTimer(after: wake.timeIntervalSince(now), leeway: .milliseconds(50)) { [unowned self] in
            self.deliveryTimerFirings += 1
            self.pumpDeliveries()
        }
    }

    private func startDelivery(to webhook: WebhookConfig, entries: [OutboxEntry]) {
        let sender = WebhookSender(transport: dependencies.transport, now: dependencies.now)
        let requests = sender.render(.events(entries.map(\.event)), for: webhook)
        // Each request of the message has the webhook's timeout.
        let request = watchRequest(bound: webhook.timeout * Double(max(1, requests.count))) { [unowned self] id in
            self.deliveryOverdue(webhook.name, requestID: id)
        }
        let requestID = request.id
        let task = Task {
            let outcome = await sender.send(requests, to: webhook).outcome
            self.queue.async {
                self.finishDelivery(to: webhook.name, requestID: requestID, outcome: outcome)
            }
        }
        deliveriesInFlight[webhook.name] = DeliveryInFlight(
            request: request, task: task, webhook: webhook, entries: entries)
    }

    /// A delivery attempt outlived its `timeout` plus the margin: it is cancelled and counted as a failed
    /// attempt (retried with the usual backoff); its answer, should one come, is discarded.
    private func deliveryOverdue(_ webhookName: String, requestID: Int) {
        guard case .running = lifecycle, let delivery = deliveriesInFlight[webhookName],
            delivery.request.id == requestID
        else { return }
        delivery.task.cancel()
        let elapsed = formatSeconds(dependencies.now().timeIntervalSince(delivery.request.started).rounded())
        let reason =
            "delivery attempt overdue: no answer \(elapsed) after it started (timeout is "
            + "\(formatSeconds(delivery.webhook.timeout))); cancelled"
        logger.error("\(reason)", metadata: ["webhook": "\(webhookName)", "host": "\(delivery.webhook.host)"])
        finishDelivery(to: webhookName, requestID: requestID, outcome: .transient(reason: reason))
    }

    private func finishDelivery(to webhookName: String, requestID: Int, outcome: DeliveryOutcome) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let delivery = deliveriesInFlight[webhookName], delivery.request.id == requestID else {
            logger.debug(
                "discarding the late answer of a delivery attempt declared overdue",
                metadata: ["webhook": "\(webhookName)"])
            return
        }
        delivery.request.watch.cancel()
        deliveriesInFlight[webhookName] = nil
        let (webhook, entries) = (delivery.webhook, delivery.entries)
        let eventIDs = entries.map(\.event.id)
        let now = dependencies.now()
        var metadata: Logger.Metadata = ["webhook": "\(webhook.name)", "host": "\(webhook.host)"]
        if entries.count == 1, let entry = entries.first {
            metadata.merge(deliveryMetadata(entry)) { $1 }
        } else {
            metadata["events"] = "\(entries.count)"
        }
        // A reload may have replaced the webhook while the request was in flight.
        let current = configuration.webhook(named: webhook.name)
        // A delivery's outcome is written at once (`status` shows it) but made durable by the next sync,
        // at most `syncDelay` later: a crash in between redelivers with the same webhook-id, which
        // at-least-once delivery allows, and one fdatasync per delivery would bound a long queue's drain
        // by the disk's sync latency (BENCHMARKS.md, draining a long queue).
        switch outcome {
        case .delivered:
            state.markDelivered(eventIDs: eventIDs, webhook: webhook.name, at: now)
            saveState(durable: false)
            logger.info("notification delivered", metadata: metadata)
        case .retryAfter(let delay, let reason):
            state.markAttemptFailed(
                eventIDs: eventIDs, webhook: webhook.name, error: reason, retryAt: now.addingTimeInterval(delay))
            saveState(durable: false)
            let wait = formatSeconds(delay.rounded(.up))
            logger.warning(
                "webhook asked to slow down: \(reason)", metadata: metadata.merging(["retry_in": "\(wait)"]) { $1 })
        case .transient(let reason):
            let attempts = (entries.first?.attempts ?? 0) + 1
            let delay = DeliveryBackoff.delay(attempt: attempts, random: dependencies.random())
            state.markAttemptFailed(
                eventIDs: eventIDs, webhook: webhook.name, error: reason, retryAt: now.addingTimeInterval(delay))
            saveState(durable: false)
            logger.warning(
                "delivery failed, will retry: \(reason)",
                metadata: metadata.merging([
                    "retry_in": "\(formatSeconds(delay.rounded(.up)))", "attempt": "\(attempts)",
                ]) { $1 })
        case .permanent(let reason):
            if let current, current.url != webhook.url {
                // The URL changed while this attempt was in flight: try the new one right away.
                state.markAttemptFailed(eventIDs: eventIDs, webhook: webhook.name, error: reason, retryAt: now)
            } else {
                state.markPermanentFailure(
                    eventIDs: eventIDs, webhook: webhook.name, error: reason, webhookURL: webhook.url.value)
            }
            saveState(durable: false)
            logger.error(
                "webhook refused the notification: \(reason); its notifications are held until its URL is fixed and the configuration reloaded, or \(formatSeconds(configuration.daemon.deliveryMaxAge)) pass",
                metadata: metadata)
        }
        recordDeliveryMetrics(webhook: webhook.name, outcome: outcome, count: entries.count)
        publishStatus()
        if case .stopping = lifecycle {
            finishStopIfIdle()
            return
        }
        pumpDeliveries()
    }

    func deliveryMetadata(_ entry: OutboxEntry) -> Logger.Metadata {
        [
            "webhook": "\(entry.webhook)", "account": "\(entry.event.accountName)",
            "connector": "\(entry.event.connectorID)", "domain": "\(entry.event.displayDomain)",
            "event": "\(entry.event.kind.rawValue)", "event_id": "\(entry.event.id)",
        ]
    }
}
