import Foundation
import SSOWatchConfig

/// What `StateDocument.reconcile(webhooks:)` changed after a reload.
public struct OutboxReconciliation: Sendable, Equatable {
    /// Entries dropped because their webhook is no longer configured (log each as an error).
    public var dropped: [OutboxEntry]
    /// Webhooks whose permanently failed entries were re-armed because their URL changed.
    public var resumedWebhooks: [String]

    /// Creates a reconciliation report.
    public init(dropped: [OutboxEntry], resumedWebhooks: [String]) {
        self.dropped = dropped
        self.resumedWebhooks = resumedWebhooks
    }
}

extension StateDocument {
    /// Removes the delivered entries and records the webhook's success (clears `failing`/`lastError`).
    public mutating func markDelivered(eventIDs: [String], webhook: String, at now: Date) {
        for index in indices(of: eventIDs, webhook: webhook).reversed() {
            outboxLog.remove(outbox.remove(at: index))
        }
        webhooks[webhook] = WebhookDeliveryState(lastError: nil, failing: false, lastSuccess: now)
    }

    /// The positions of `eventIDs`' entries for `webhook`, ascending. A delivered batch is the head of its
    /// webhook's queue, near the front of the outbox: the search stops once all are found.
    private func indices(of eventIDs: [String], webhook: String) -> [Int] {
        var wanted = Set(eventIDs)
        var found: [Int] = []
        for index in outbox.indices where !wanted.isEmpty {
            let entry = outbox[index]
            if entry.webhook == webhook, wanted.remove(entry.event.id) != nil { found.append(index) }
        }
        return found
    }

    /// Records a transient failure (5xx, timeout, connection error, 429): one more attempt, the next
    /// one not before `retryAt` (see `DeliveryBackoff`), and the webhook shown as failing.
    public mutating func markAttemptFailed(eventIDs: [String], webhook: String, error: String, retryAt: Date) {
        let message = TransitionEngine.oneLine(error)
        updateEntries(eventIDs, webhook: webhook) { entry in
            entry.attempts += 1
            entry.nextAttemptAt = retryAt
            entry.lastError = message
        }
        markFailing(webhook, message)
    }

    /// Records a permanent refusal (a 4xx other than 429): the entries are held, with the URL's
    /// fingerprint, until a reload changes the URL or they expire; the webhook is shown as failing.
    public mutating func markPermanentFailure(eventIDs: [String], webhook: String, error: String, webhookURL: String) {
        let message = TransitionEngine.oneLine(error)
        let fingerprint = OutboxEntry.fingerprint(ofURL: webhookURL)
        updateEntries(eventIDs, webhook: webhook) { entry in
            entry.attempts += 1
            entry.nextAttemptAt = nil
            entry.lastError = message
            entry.permanentFailure = true
            entry.urlFingerprint = fingerprint
        }
        markFailing(webhook, message)
    }

    /// Removes the entries queued at least `maxAge` ago (`delivery_max_age`) and returns them, so the
    /// caller can log each one as an error. The webhook's failing state is kept until its next success.
    ///
    /// Entries are queued in time order, so the expired ones are a prefix: only that prefix is looked at.
    public mutating func dropExpired(now: Date, maxAge: TimeInterval) -> [OutboxEntry] {
        let count = outbox.prefix { now.timeIntervalSince($0.enqueuedAt) >= maxAge }.count
        guard count > 0 else { return [] }
        let expired = Array(outbox.prefix(count))
        outbox.removeFirst(count)
        for entry in expired { outboxLog.remove(entry) }
        return expired
    }

    /// When the oldest entry of a webhook not in `busy` expires (entries are queued in time order). With
    /// every one of the `webhookCount` webhooks busy there is nothing to look for: a long queue of a webhook
    /// being delivered to is not read for every delivery.
    public func nextExpiry(maxAge: TimeInterval, excluding busy: Set<String>, webhookCount: Int = .max) -> Date? {
        guard busy.count < webhookCount else { return nil }
        for entry in outbox where !busy.contains(entry.webhook) {
            return entry.enqueuedAt.addingTimeInterval(maxAge)
        }
        return nil
    }

    /// Brings the outbox in line with a (re)loaded configuration: entries and delivery states of
    /// webhooks that no longer exist are dropped (the entries are returned for logging), and
    /// permanently failed entries whose webhook URL has changed since the failure are re-armed.
    public mutating func reconcile(webhooks configured: [WebhookConfig]) -> OutboxReconciliation {
        let byName = Dictionary(configured.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let dropped = outbox.filter { byName[$0.webhook] == nil }
        outbox.removeAll { byName[$0.webhook] == nil }
        for entry in dropped { outboxLog.remove(entry) }
        webhooks = webhooks.filter { byName[$0.key] != nil }

        var fingerprints: [String: String] = [:]
        var resumed: [String] = []
        for index in outbox.indices where outbox[index].permanentFailure {
            let name = outbox[index].webhook
            guard let webhook = byName[name] else { continue }
            let current = fingerprints[name] ?? OutboxEntry.fingerprint(ofURL: webhook.url.value)
            fingerprints[name] = current
            guard outbox[index].urlFingerprint != current else { continue }
            outbox[index].permanentFailure = false
            outbox[index].urlFingerprint = nil
            outbox[index].nextAttemptAt = nil
            outbox[index].attempts = 0
            outboxLog.update(outbox[index])
            if !resumed.contains(name) { resumed.append(name) }
        }
        return OutboxReconciliation(dropped: dropped, resumedWebhooks: resumed)
    }

    private mutating func updateEntries(
        _ eventIDs: [String], webhook: String, _ change: (inout OutboxEntry) -> Void
    ) {
        for index in indices(of: eventIDs, webhook: webhook) {
            change(&outbox[index])
            outboxLog.update(outbox[index])
        }
    }

    private mutating func markFailing(_ webhook: String, _ message: String) {
        var state = webhooks[webhook] ?? WebhookDeliveryState()
        state.failing = true
        state.lastError = message
        webhooks[webhook] = state
    }
}
