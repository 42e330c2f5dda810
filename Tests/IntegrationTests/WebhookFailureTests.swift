import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// Webhooks that refuse or keep failing (docs/NOTIFICATIONS.md): permanent refusals are reported, never retried and
/// never leak the URL; a reload with a fixed URL delivers what was held, in order; one failing webhook
/// holds only its own events; `delivery_max_age` ends the wait.
@Suite struct WebhookFailureTests {
    // MARK: - Permanent refusals

    /// A service's permanent refusal and the reason ssowatch should report.
    struct RefusalCase: Sendable, CustomTestStringConvertible {
        var label: String
        var type: String
        var response: WebhookReceiver.Response
        /// The whole one-line reason (`last_error`, the error log line).
        var reason: String
        /// The service's success answer, once the URL is fixed.
        var success: WebhookReceiver.Response = .ok

        var testDescription: String { label }

        static let json = ("Content-Type", "application/json")

        static let all: [RefusalCase] = [
            RefusalCase(
                label: "slack 404 no_service", type: "slack",
                response: .init(status: 404, headers: [("Content-Type", "text/plain")], body: "no_service"),
                reason: "HTTP 404: no_service"),
            RefusalCase(
                label: "slack 410 channel_is_archived", type: "slack",
                response: .init(status: 410, headers: [("Content-Type", "text/plain")], body: "channel_is_archived"),
                reason: "HTTP 410: channel_is_archived"),
            RefusalCase(
                label: "discord 404 Unknown Webhook", type: "discord",
                response: .init(status: 404, headers: [json], body: #"{"message": "Unknown Webhook", "code": 10015}"#),
                reason: "HTTP 404: Unknown Webhook (code 10015)", success: .noContent),
            RefusalCase(
                label: "generic 410 Gone", type: "generic", response: .init(status: 410), reason: "HTTP 410: Gone",
                success: .noContent),
            RefusalCase(
                label: "mattermost 400 JSON", type: "mattermost",
                response: .init(
                    status: 400, headers: [json],
                    body:
                        #"{"id":"web.incoming_webhook.parse.app_error","message":"Unable to parse the incoming data.","detailed_error":"","request_id":"hb7qgyc6dpfc5qpp5fj8b8tqyw","status_code":400}"#
                ),
                reason: "HTTP 400: Unable to parse the incoming data. (web.incoming_webhook.parse.app_error)"),
            RefusalCase(
                label: "rocketchat 400 success false", type: "rocketchat",
                response: .init(
                    status: 400, headers: [json],
                    body: #"{"success":false,"error":"Invalid integration id or token provided."}"#),
                reason: "HTTP 400: Invalid integration id or token provided.",
                success: .init(status: 200, headers: [json], body: #"{"success":true}"#)),
        ]
    }

    @Test(arguments: RefusalCase.all)
    func aRefusedWebhookIsReportedHeldAndResumedByAReloadWithAFixedURL(_ refusal: RefusalCase) async throws {
        let webhook = TestWebhook.make("ops", type: refusal.type)
        let domains = ["alpha.refused.example", "bravo.refused.example"]
        try await withWatchingDaemon(domains: domains, webhooks: [webhook]) { rig, daemon in
            rig.receiver.setDefaultResponse(refusal.response)
            rig.flip(0, to: "verified")
            try await rig.waitForDeliveries(count: 1)
            let statusLine = try await rig.waitForStatus(containing: "1 webhook failing (ops: ")
            let shown = String(refusal.reason.prefix(StatusLine.errorLimit - 1))
            #expect(statusLine.contains("ops: \(shown)"), "\(statusLine)")
            let logLine = try await errorLine(in: daemon, containing: "webhook refused the notification")
            #expect(logLine.hasPrefix("<3>error: webhook refused the notification: \(refusal.reason);"), "\(logLine)")
            #expect(logLine.contains("webhook=ops") && logLine.contains("host=127.0.0.1"), "\(logLine)")

            // A later event queues behind the refused one; several poll cycles bring no new attempt.
            rig.flip(1, to: "failed")
            try await rig.waitForMorePolls(count: 4)
            #expect(rig.receiver.receivedCount == 1, "a permanent refusal is never retried")

            let statusCommand = try await runSSOWatch(["status", "--json", "--config", rig.configPath])
            let status = try StatusOutput(parsing: statusCommand.stdout)
            let ops = try status.webhook("ops")
            #expect(ops.failing)
            #expect(ops.lastError?.contains(refusal.reason) == true, "\(String(describing: ops.lastError))")
            #expect(ops.queued == 2)
            #expect(status.outbox == 2)

            let outputs = [
                ("the daemon's log", daemon.stderr + daemon.stdout),
                ("STATUS=", rig.notify.lines.joined(separator: "\n")),
                ("ssowatch status --json", statusCommand.stdout + statusCommand.stderr),
            ]
            for (name, text) in outputs {
                #expect(webhook.leakingLines(in: text).isEmpty, "\(name) shows the webhook URL's secret part")
            }

            // The operator fixes the URL and reloads: the held events go out, oldest first.
            rig.receiver.setDefaultResponse(refusal.success)
            let fixed = webhook.movedToNewURL()
            try await rig.reload(daemon, with: rig.watchingConfig(webhooks: [fixed]))
            try await rig.waitForDeliveries(count: 3)
            try await rig.waitForMorePolls(count: 2)
            let resumed = Array(rig.receiver.received.dropFirst())
            try #require(resumed.count == 2, "each held event is sent once")
            #expect(resumed.allSatisfy { $0.path == fixed.path && $0.query == fixed.query })
            #expect(resumed[0].bodyString.contains(domains[0]) && !resumed[0].bodyString.contains(domains[1]))
            #expect(resumed[1].bodyString.contains(domains[1]) && !resumed[1].bodyString.contains(domains[0]))
            #expect(daemon.stderr.contains("resuming delivery of its held notifications"))

            let after = try await rig.status()
            let fixedOps = try after.webhook("ops")
            #expect(!fixedOps.failing && fixedOps.queued == 0 && fixedOps.lastError == nil)
            #expect(fixed.leakingLines(in: daemon.stderr).isEmpty)
        }
    }

    /// The first log line at error level that contains `text`, once the daemon has written it.
    private func errorLine(in daemon: SSOWatchProcess, containing text: String) async throws -> String {
        let log = try await daemon.waitForOutput(containing: text, in: .stderr)
        let line = log.split(separator: "\n").first { $0.contains(text) }.map(String.init)
        return try #require(line)
    }

    // MARK: - Isolation between webhooks

    @Test func aFailingWebhookHoldsOnlyItsOwnEvents() async throws {
        let broken = TestWebhook.make("broken", type: "generic", receiver: 0)
        let healthy = TestWebhook.make("healthy", type: "slack", receiver: 1)
        let domains = ["alpha.isolation.example", "bravo.isolation.example"]
        try await withWatchingDaemon(domains: domains, webhooks: [broken, healthy], receivers: 2) { rig, daemon in
            rig.receivers[0].down()
            rig.flip(0, to: "verified")
            try await rig.waitForDeliveries(count: 1, receiver: 1)
            try await rig.waitForDeliveries(count: 1, receiver: 0)

            let flipped = Date()
            rig.flip(1, to: "failed")
            try await rig.waitForDeliveries(count: 2, receiver: 1, timeout: .seconds(10))
            let healthyRequests = rig.receivers[1].received
            #expect(healthyRequests[0].bodyString.contains(domains[0]))
            #expect(healthyRequests[1].bodyString.contains(domains[1]))
            let delay = healthyRequests[1].receivedAt.timeIntervalSince(flipped)
            #expect(delay < 5, "the healthy webhook got the second event \(delay) s after the change")

            // Meanwhile the broken webhook has only been retrying its oldest event.
            let attempts = rig.receivers[0].received
            #expect(attempts.allSatisfy { $0.string("data.connector.email_domain") == domains[0] })
            #expect(attempts.allSatisfy { $0.responseStatus == 503 })
            let status = try await rig.waitForStatus(containing: "1 webhook failing (broken: HTTP 503")
            #expect(!status.contains("healthy:"), "\(status)")

            rig.receivers[0].up()
            let all = try await rig.waitForDeliveries(
                "both events delivered to the broken webhook", timeout: .seconds(15)
            ) {
                $0.filter { $0.responseStatus == 200 }.count >= 2
            }
            let delivered = all.filter { $0.responseStatus == 200 }
            #expect(delivered.map { $0.string("data.connector.email_domain") } == domains, "in detection order")
            #expect(delivered.map { $0.string("type") } == ["connector.verified", "connector.failed"])
            #expect(Set(delivered.compactMap { $0.header("webhook-id") }).count == 2)
            #expect(rig.receivers[1].receivedCount == 2, "the healthy webhook got each event once")
        }
    }

    // MARK: - delivery_max_age

    /// `delivery_max_age` is at least `1m`, so rather than wait a minute for an event to age, the test
    /// seeds the state file with one queued 50 s ago and a younger one behind it. The old one cannot be
    /// delivered: the receiver is down (`transient`), or the entry was already refused for this very URL
    /// before a restart (`permanent`, so it is held and never sent). It must be dropped, with an error,
    /// when it turns 1m old, and not before; then the younger one goes out.
    @Test(arguments: ["transient", "permanent"])
    func anUndeliverableEventIsDroppedAfterDeliveryMaxAge(_ failure: String) async throws {
        let webhook = TestWebhook.make("ops", type: "generic")
        let now = Date()
        var old = Self.entry(domain: "old.expiry.example", connector: "0a0a", enqueuedAt: now.addingTimeInterval(-50))
        let young = Self.entry(
            domain: "young.expiry.example", connector: "0b0b", enqueuedAt: now.addingTimeInterval(-5))
        let expiry = old.enqueuedAt.addingTimeInterval(60)
        try await withWatchingDaemon(
            webhooks: [webhook], daemonSettings: [("delivery_max_age", "1m")],
            beforeStart: { rig in
                var webhookStates: [String: WebhookDeliveryState] = [:]
                if failure == "transient" {
                    rig.receiver.down()
                } else {
                    let url = rig.receiver.url(path: webhook.pathAndQuery)
                    old.attempts = 1
                    old.lastError = "HTTP 410: Gone"
                    old.permanentFailure = true
                    old.urlFingerprint = OutboxEntry.fingerprint(ofURL: url)
                    webhookStates["ops"] = WebhookDeliveryState(lastError: "HTTP 410: Gone", failing: true)
                }
                try StateFile.save(
                    StateDocument(outbox: [old, young], webhooks: webhookStates), path: rig.statePath)
            }
        ) { rig, daemon in
            let log = try await daemon.waitForOutput(
                containing: "giving up on a notification after 1m", in: .stderr, timeout: .seconds(30))
            let line = try #require(log.split(separator: "\n").first { $0.contains("giving up") })
            #expect(line.hasPrefix("<3>error: "), "\(line)")
            #expect(line.contains("event_id=\(old.event.id)") && line.contains("webhook=ops"), "\(line)")
            rig.receiver.up()

            let all = try await rig.waitForDeliveries("the younger event delivered") {
                $0.contains { $0.responseStatus == 200 }
            }
            let oldAttempts = all.filter { $0.header("webhook-id") == old.event.id }
            #expect(
                oldAttempts.allSatisfy { $0.responseStatus != 200 && $0.receivedAt < expiry.addingTimeInterval(0.5) })
            if failure == "permanent" {
                #expect(oldAttempts.isEmpty, "an event refused for this URL is held, not retried after a restart")
            }
            let youngAttempts = all.filter { $0.header("webhook-id") == young.event.id }
            #expect(
                youngAttempts.allSatisfy { $0.receivedAt >= expiry.addingTimeInterval(-0.2) },
                "the younger event waits behind the old one until that is dropped, at 1m and not before")
            #expect(youngAttempts.last?.responseStatus == 200)
            #expect(all.count == oldAttempts.count + youngAttempts.count)

            try await daemon.waitForOutput(containing: "notification delivered", in: .stderr)
            let status = try await rig.status()
            #expect(status.outbox == 0)
            let ops = try status.webhook("ops")
            #expect(ops.queued == 0 && !ops.failing)
        }
    }

    private static func entry(domain: String, connector: String, enqueuedAt: Date) -> OutboxEntry {
        let event = ConnectorEvent(
            kind: .verified, detectedAt: enqueuedAt, accountName: TestAccount.prod.name,
            accountID: TestAccount.prod.id, connectorID: String(repeating: connector, count: 8),
            emailDomain: domain, enabled: false, status: "verified", previousStatus: .pending,
            previousStatusSince: enqueuedAt.addingTimeInterval(-3600), verificationCode: nil)
        return OutboxEntry(event: event, webhook: "ops", enqueuedAt: enqueuedAt)
    }
}
