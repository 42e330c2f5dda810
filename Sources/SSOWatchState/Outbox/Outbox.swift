import Foundation
import SSOWatchConfig
import SSOWatchModel

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
    ///
    /// - Parameters:
    ///   - busy: webhooks left out (an attempt in flight).
    ///   - webhookCount: how many webhooks there are at most; the search stops once each is held, busy or
    ///     has a full batch, so a long queue is not read whole for every delivery.
    public func deliverableBatches(
        now: Date, maxPerWebhook: Int = 1, excluding busy: Set<String> = [], webhookCount: Int = .max
    ) -> [DeliveryBatch] {
        deliverableBatches(now: now, limit: { _ in maxPerWebhook }, excluding: busy, webhookCount: webhookCount)
    }

    /// `deliverableBatches`, with a batch size for each webhook (`limit(name)`): one message of a `generic`
    /// webhook carries one event, so reading further for it is wasted work.
    public func deliverableBatches(
        now: Date, limit: (String) -> Int, excluding busy: Set<String> = [], webhookCount: Int = .max
    ) -> [DeliveryBatch] {
        var batches: [DeliveryBatch] = []
        var index: [String: Int] = [:]
        var held = busy
        for entry in outbox {
            if held.count >= webhookCount { break }
            guard !held.contains(entry.webhook) else { continue }
            guard entry.isReady(at: now) else {
                held.insert(entry.webhook)
                continue
            }
            if let position = index[entry.webhook] {
                batches[position].entries.append(entry)
                if batches[position].entries.count >= limit(entry.webhook) { held.insert(entry.webhook) }
            } else {
                index[entry.webhook] = batches.count
                batches.append(DeliveryBatch(webhook: entry.webhook, entries: [entry]))
                if limit(entry.webhook) <= 1 { held.insert(entry.webhook) }
            }
        }
        return batches
    }

    /// The earliest time a webhook's oldest entry, now waiting for a retry, becomes ready; `nil` when
    /// no head is waiting (the scheduler then needs no retry timer). Webhooks in `busy` (an attempt in
    /// flight) are left out; the search stops once `webhookCount` webhooks were seen.
    public func nextRetryDate(excluding busy: Set<String> = [], webhookCount: Int = .max) -> Date? {
        var seen = busy
        var earliest: Date?
        for entry in outbox {
            if seen.count >= webhookCount { break }
            guard seen.insert(entry.webhook).inserted else { continue }
            guard !entry.permanentFailure, let date = entry.nextAttemptAt else { continue }
            earliest = earliest.map { min($0, date) } ?? date
        }
        return earliest
    }
}
