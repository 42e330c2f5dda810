import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

@Suite struct OutboxTests {
    private let ops = F.webhook("ops", events: [.verified, .failed])
    private let audit = F.webhook("audit", type: .generic, events: Set(EventKind.allCases))
    private let other = F.webhook("other", events: [.verified])

    @Test func fanOutFollowsSubscriptionsAndEventKinds() {
        let account = F.account("prod", webhooks: ["ops", "audit", "nonexistent"])
        let events = [F.event(.verified, connector: "a"), F.event(.pending, connector: "b"), F.event(.stuck)]
        let entries = Outbox.entries(for: events, account: account, webhooks: [ops, audit, other], now: F.t0)
        #expect(entries.map(\.webhook) == ["ops", "audit", "audit", "audit"])
        #expect(entries.map(\.event.kind) == [.verified, .verified, .pending, .stuck])
        #expect(entries.allSatisfy { $0.enqueuedAt == F.t0 && $0.attempts == 0 && !$0.permanentFailure })
        #expect(entries[0].event == events[0])
    }

    @Test func eventsWithoutSubscriberProduceNothing() {
        let account = F.account("prod", webhooks: ["ops"])
        let entries = Outbox.entries(
            for: [F.event(.appeared), F.event(.pending)], account: account, webhooks: [ops, audit], now: F.t0)
        #expect(entries.isEmpty)
        #expect(Outbox.entries(for: [F.event(.verified)], subscriptions: [], webhooks: [ops], now: F.t0).isEmpty)
    }

    private func document(_ specs: [(String, String)]) -> StateDocument {
        StateDocument(
            outbox: specs.map { webhook, connector in
                OutboxEntry(event: F.event(.verified, connector: connector), webhook: webhook, enqueuedAt: F.t0)
            })
    }

    @Test func eachWebhookDeliversItsOldestEntryFirst() {
        let doc = document([("ops", "a"), ("audit", "a"), ("ops", "b"), ("ops", "c"), ("audit", "b")])
        let single = doc.deliverableBatches(now: F.t0)
        #expect(single.map(\.webhook) == ["ops", "audit"])
        #expect(single.map { $0.entries.map(\.event.connectorID) } == [["a"], ["a"]])
        let batched = doc.deliverableBatches(now: F.t0, maxPerWebhook: 2)
        #expect(batched.map { $0.entries.map(\.event.connectorID) } == [["a", "b"], ["a", "b"]])
        #expect(doc.queuedEntries(for: "ops").map(\.event.connectorID) == ["a", "b", "c"])
    }

    @Test func aWebhookBeingRetriedHoldsItsLaterEntriesOnly() {
        var doc = document([("ops", "a"), ("ops", "b"), ("audit", "a")])
        let head = doc.outbox[0].event.id
        doc.markAttemptFailed(eventIDs: [head], webhook: "ops", error: "HTTP 503", retryAt: F.at(2))
        #expect(doc.deliverableBatches(now: F.at(1), maxPerWebhook: 10).map(\.webhook) == ["audit"])
        #expect(doc.nextRetryDate() == F.at(2))
        let later = doc.deliverableBatches(now: F.at(2), maxPerWebhook: 10)
        #expect(later.first?.webhook == "ops")
        #expect(later.first?.entries.map(\.event.connectorID) == ["a", "b"])
    }

    @Test func aTransientFailureCountsTheAttemptAndMarksTheWebhookFailing() {
        var doc = document([("ops", "a")])
        let id = doc.outbox[0].event.id
        doc.markAttemptFailed(eventIDs: [id], webhook: "ops", error: "HTTP 502\nbad gateway", retryAt: F.at(1))
        doc.markAttemptFailed(eventIDs: [id], webhook: "ops", error: "timeout", retryAt: F.at(3))
        #expect(doc.outbox[0].attempts == 2)
        #expect(doc.outbox[0].nextAttemptAt == F.at(3))
        #expect(doc.outbox[0].lastError == "timeout")
        #expect(doc.webhooks["ops"] == WebhookDeliveryState(lastError: "timeout", failing: true, lastSuccess: nil))
    }

    @Test func deliveryRemovesTheEntryAndClearsFailing() {
        let shared = F.event(.verified, connector: "a")
        var doc = document([("ops", "b")])
        doc.outbox.insert(OutboxEntry(event: shared, webhook: "ops", enqueuedAt: F.t0), at: 0)
        doc.outbox.append(OutboxEntry(event: shared, webhook: "audit", enqueuedAt: F.t0))
        let id = shared.id
        doc.markAttemptFailed(eventIDs: [id], webhook: "ops", error: "HTTP 503", retryAt: F.at(1))
        doc.markDelivered(eventIDs: [id], webhook: "ops", at: F.at(1))
        #expect(doc.outbox.map(\.webhook) == ["ops", "audit"])
        #expect(doc.outbox.filter { $0.event.id == id }.map(\.webhook) == ["audit"])
        #expect(doc.outbox.first { $0.event.id == id }?.attempts == 0)
        #expect(doc.webhooks["ops"] == WebhookDeliveryState(lastError: nil, failing: false, lastSuccess: F.at(1)))
    }

    @Test func aPermanentFailureHoldsTheWebhookAndStoresTheURLFingerprint() {
        var doc = document([("ops", "a"), ("ops", "b"), ("audit", "a")])
        let id = doc.outbox[0].event.id
        doc.markPermanentFailure(
            eventIDs: [id], webhook: "ops", error: "HTTP 404 no_service", webhookURL: ops.url.value)
        let entry = doc.outbox[0]
        #expect(entry.permanentFailure)
        #expect(entry.urlFingerprint == "c01ef99d34df3b608b3f25ffb7d84531d6c37cc69db09d475daefa7bbd22bea8")
        #expect(doc.webhooks["ops"]?.failing == true)
        #expect(doc.webhooks["ops"]?.lastError == "HTTP 404 no_service")
        #expect(doc.deliverableBatches(now: F.at(86_000)).map(\.webhook) == ["audit"])
        #expect(doc.nextRetryDate() == nil)
    }

    @Test func entriesOlderThanTheMaximumAgeAreDroppedAndReturned() {
        var doc = document([("ops", "a")])
        doc.outbox.append(OutboxEntry(event: F.event(.failed, connector: "b"), webhook: "ops", enqueuedAt: F.at(3600)))
        #expect(doc.dropExpired(now: F.at(86_399), maxAge: 86_400).isEmpty)
        let dropped = doc.dropExpired(now: F.at(86_400), maxAge: 86_400)
        #expect(dropped.map(\.event.connectorID) == ["a"])
        #expect(doc.outbox.map(\.event.connectorID) == ["b"])
    }

    @Test func aReloadDropsEntriesOfRemovedWebhooks() {
        var doc = document([("ops", "a"), ("gone", "a"), ("audit", "b")])
        doc.webhooks["gone"] = WebhookDeliveryState(lastError: "HTTP 500", failing: true)
        let result = doc.reconcile(webhooks: [ops, audit])
        #expect(result.dropped.map(\.webhook) == ["gone"])
        #expect(result.resumedWebhooks.isEmpty)
        #expect(doc.outbox.map(\.webhook) == ["ops", "audit"])
        #expect(doc.webhooks["gone"] == nil)
    }

    @Test func aReloadThatChangesTheURLRearmsPermanentFailures() {
        var doc = document([("ops", "a"), ("ops", "b")])
        let ids = doc.outbox.map(\.event.id)
        doc.markPermanentFailure(eventIDs: ids, webhook: "ops", error: "HTTP 410", webhookURL: ops.url.value)

        let unchanged = doc.reconcile(webhooks: [ops])
        #expect(unchanged.resumedWebhooks.isEmpty)
        #expect(doc.outbox.allSatisfy { $0.permanentFailure })

        let fixed = F.webhook("ops", url: "https://hooks.example.com/services/T000/B000/YYYY")
        let result = doc.reconcile(webhooks: [fixed])
        #expect(result.resumedWebhooks == ["ops"])
        #expect(doc.outbox.allSatisfy { !$0.permanentFailure && $0.urlFingerprint == nil && $0.attempts == 0 })
        #expect(doc.deliverableBatches(now: F.t0).map(\.webhook) == ["ops"])
    }

    @Test(arguments: [
        (1, 0.5, 1.0), (2, 0.5, 2.0), (3, 0.5, 4.0), (4, 0.5, 8.0), (9, 0.5, 256.0), (10, 0.5, 300.0),
        (60, 0.5, 300.0), (Int.max, 0.5, 300.0), (0, 0.5, 1.0), (-3, 0.5, 1.0),
        (1, 0.0, 0.8), (1, 1.0, 1.2), (3, 0.25, 3.6), (9, 0.0, 204.8), (9, 1.0, 300.0), (1, 7.0, 1.2),
    ])
    func backoffDoublesFromOneSecondWithJitterAndACap(attempt: Int, random: Double, expected: TimeInterval) {
        #expect(abs(DeliveryBackoff.delay(attempt: attempt, random: random) - expected) < 1e-9)
    }
}
