import Foundation

/// Turning events into deliveries (fan-out) and choosing what to deliver next. The mutations the
/// delivery worker makes are in `Outbox+Delivery.swift`. All of it is pure, on `StateDocument`.
public enum Outbox {
    /// One outbox entry per (event, webhook) for every webhook the account subscribes to whose
    /// `events` include the event's kind; events nobody subscribes to produce nothing.
    ///
    /// `account.webhooks` is taken as written: the configuration parser fills in every webhook
    /// when the key is absent. Names that match no configured webhook are ignored.
    public static func entries(
        for events: [ConnectorEvent], account: AccountConfig, webhooks: [WebhookConfig], now: Date
    ) -> [OutboxEntry] {
        entries(for: events, subscriptions: account.webhooks, webhooks: webhooks, now: now)
    }

    /// Fan-out for an account subscribed to the webhooks named in `subscriptions`.
    public static func entries(
        for events: [ConnectorEvent], subscriptions: [String], webhooks: [WebhookConfig], now: Date
    ) -> [OutboxEntry] {
        let subscribed = Set(subscriptions)
        let targets = webhooks.filter { subscribed.contains($0.name) }
        var result: [OutboxEntry] = []
        for event in events {
            for webhook in targets where webhook.events.contains(event.kind) {
                result.append(OutboxEntry(event: event, webhook: webhook.name, enqueuedAt: now))
            }
        }
        return result
    }
}

/// The entries to send to one webhook now, oldest first.
public struct DeliveryBatch: Sendable, Equatable {
    /// The webhook's name.
    public var webhook: String
    /// Consecutive ready entries from the head of that webhook's queue.
    public var entries: [OutboxEntry]

    /// Creates a batch.
    public init(webhook: String, entries: [OutboxEntry]) {
        self.webhook = webhook
        self.entries = entries
    }

    /// The ids of the batch's events, for the `mark…` functions.
    public var eventIDs: [String] { entries.map(\.event.id) }
}

extension StateDocument {
    /// The entries queued for `webhook`, in detection order.
    public func queuedEntries(for webhook: String) -> [OutboxEntry] {
        outbox.filter { $0.webhook == webhook }
    }

    /// What can be delivered at `now`: for each webhook whose oldest entry is ready (not waiting for
    /// a retry, not permanently failed), that entry and up to `maxPerWebhook - 1` ready entries that
    /// follow it. A webhook whose head is held delivers nothing, so its order is kept; other webhooks
    /// are unaffected. Webhooks come in the order of their oldest entry.
    public func deliverableBatches(now: Date, maxPerWebhook: Int = 1) -> [DeliveryBatch] {
        var batches: [DeliveryBatch] = []
        var index: [String: Int] = [:]
        var held: Set<String> = []
        for entry in outbox where !held.contains(entry.webhook) {
            guard entry.isReady(at: now) else {
                held.insert(entry.webhook)
                continue
            }
            if let position = index[entry.webhook] {
                if batches[position].entries.count < maxPerWebhook {
                    batches[position].entries.append(entry)
                } else {
                    held.insert(entry.webhook)
                }
            } else {
                index[entry.webhook] = batches.count
                batches.append(DeliveryBatch(webhook: entry.webhook, entries: [entry]))
            }
        }
        return batches
    }

    /// The earliest time a webhook's oldest entry, now waiting for a retry, becomes ready; `nil` when
    /// no head is waiting (the scheduler then needs no retry timer). Webhooks in `busy` (an attempt in
    /// flight) are left out.
    public func nextRetryDate(excluding busy: Set<String> = []) -> Date? {
        var seen = busy
        var earliest: Date?
        for entry in outbox where seen.insert(entry.webhook).inserted {
            guard !entry.permanentFailure, let date = entry.nextAttemptAt else { continue }
            earliest = earliest.map { min($0, date) } ?? date
        }
        return earliest
    }
}
