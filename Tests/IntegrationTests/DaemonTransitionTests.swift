import Foundation
import SSOWatchSimulator
import Testing

/// `ssowatch run` against the simulated API: which status changes become notifications, to which
/// webhooks, and what the notifications say (docs/MONITORING.md, §5).
@Suite struct DaemonTransitionTests {
    /// The `text` fallback of a Slack message and every string in its blocks, joined.
    static func slackTexts(_ request: RecordedRequest) throws -> (fallback: String, blocks: String) {
        let object = try #require(request.jsonObject, "a Slack body is a JSON object: \(request.bodyString)")
        let fallback = try #require(object["text"] as? String, "a Slack message has a text fallback")
        return (fallback, strings(in: object["blocks"] ?? []).joined(separator: "\n"))
    }

    private static func strings(in value: Any) -> [String] {
        switch value {
        case let string as String: [string]
        case let array as [Any]: array.flatMap(strings)
        case let object as [String: Any]: object.keys.sorted().flatMap { strings(in: object[$0]!) }
        default: []
        }
    }

    @Test func eachTransitionIsAnnouncedOncePerSubscribedWebhook() async throws {
        try await withDaemonRig { rig in
            let verifying = rig.connector(.prod, "verify.example.com", "pending")
            let failing = rig.connector(.prod, "fail.example.com", "pending")
            let labs = rig.connector(.staging, "labs.example.net", "awaiting")
            let stagingFailing = rig.connector(.staging, "staging-fail.example.net", "pending")
            let staging = TestAccount.staging
            // staging reports to `audit` only; `chat` only wants verified/failed.
            let config = try rig.config(accounts: [.prod])
                .account(staging.name, id: staging.id, token: staging.token, [("webhooks", "audit")])
                .webhook(
                    "audit", type: "generic", url: rig.url(DaemonRig.genericPath),
                    [("events", "verified, failed, pending")]
                )
                .webhook("chat", type: "slack", url: rig.url(DaemonRig.slackPath))
                .write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "4 connectors in 2 accounts: 3 pending, 1 awaiting")
                rig.set(.prod, verifying, "verified")
                rig.set(.prod, failing, "failed")
                rig.set(.staging, labs, "pending")
                rig.set(.staging, stagingFailing, "failed")

                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 4)
                try await rig.waitForDeliveries(to: DaemonRig.slackPath, count: 2)
                try await rig.waitForMorePolls(.prod, count: 3)
                try await rig.waitForMorePolls(.staging, count: 3)
                #expect(
                    rig.deliveries.value.count == 6, "no notification repeated: \(rig.deliveries.value.map(\.path))")
                #expect(daemon.isRunning)
            }

            let generic = try rig.received(DaemonRig.genericPath).map(GenericDelivery.init)
            #expect(
                Set(generic.map(\.description)) == [
                    "connector.verified verify.example.com pending→verified (prod)",
                    "connector.failed fail.example.com pending→failed (prod)",
                    "connector.pending labs.example.net awaiting→pending (staging)",
                    "connector.failed staging-fail.example.net pending→failed (staging)",
                ])
            let ids = generic.compactMap(\.webhookID)
            #expect(Set(ids).count == 4, "one webhook-id per event: \(ids)")
            #expect(ids.allSatisfy { $0.hasPrefix("evt_") && !$0.contains(".") })
            let connectorIDs = [
                "verify.example.com": verifying, "fail.example.com": failing, "labs.example.net": labs,
                "staging-fail.example.net": stagingFailing,
            ]
            for delivery in generic {
                #expect(delivery.keys.top == ["type", "timestamp", "data"])
                #expect(
                    delivery.keys.data == [
                        "account", "connector", "status", "previous_status", "previous_status_since",
                        "verification_code", "dns_record", "dns", "assist",
                    ])
                #expect(delivery.keys.account == ["name", "id"])
                #expect(delivery.keys.connector == ["id", "email_domain", "enabled"])
                let id = try #require(connectorIDs[delivery.domain ?? ""])
                #expect(delivery.connectorID == id)
                #expect(delivery.accountID == (delivery.accountName == "prod" ? TestAccount.prod.id : staging.id))
                #expect(delivery.verificationCode == "cloudflare_dashboard_sso=\(id)")
                #expect(delivery.dnsRecordValue == "cloudflare_dashboard_sso=\(id)")
                #expect(delivery.previousStatusSince != nil, "\(delivery)")
                #expect(delivery.connectorEnabled == false)
            }
            for request in rig.deliveries.value {
                #expect(request.header("User-Agent")?.hasPrefix("ssowatch/") == true)
                #expect(request.header("Content-Type")?.hasPrefix("application/json") == true)
            }

            let slack = try rig.received(DaemonRig.slackPath).map(Self.slackTexts)
            let verified = try #require(slack.first { $0.fallback.contains("verify.example.com") }, "\(slack)")
            #expect(verified.fallback.contains("prod"))
            #expect(verified.blocks.contains("verify.example.com"))
            #expect(verified.blocks.contains("prod"))
            #expect(verified.blocks.contains("pending") && verified.blocks.contains("verified"))
            #expect(verified.blocks.contains(verifying))

            let failed = try #require(slack.first { $0.fallback.contains("fail.example.com") }, "\(slack)")
            #expect(failed.fallback.contains("prod"))
            #expect(!failed.fallback.contains("staging"))
            #expect(failed.blocks.contains("pending") && failed.blocks.contains("failed"))
            #expect(failed.blocks.contains("cloudflare_dashboard_sso=\(failing)"), "the TXT value: \(failed.blocks)")
            #expect(
                failed.blocks.contains("ssowatch connectors begin-verification \(failing) --account prod"),
                "what to run: \(failed.blocks)")
            #expect(!slack.contains { $0.blocks.contains("staging-fail.example.net") }, "staging is not subscribed")
        }
    }

    @Test func aFirstRunWithSettledConnectorsSendsNothing() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            rig.connector(.prod, "bad.example.com", "failed")
            rig.connector(.prod, "wait.example.com", "pending")
            let config = try rig.auditedConfig()
                .webhook("chat", type: "slack", url: rig.url(DaemonRig.slackPath), [("events", "all")])
                .write(to: rig.directory)

            try await rig.withDaemon(config) { _ in
                try await rig.waitForStatus(containing: "3 connectors in 1 account: 1 verified, 1 pending, 1 failed")
                try await rig.waitForMorePolls(.prod, count: 3)
            }
            #expect(rig.deliveries.value.isEmpty, "the baseline is silent: \(rig.deliveries.value.map(\.bodyString))")
        }
    }

    @Test func notifyOnFirstSeenAnnouncesConnectorsAlreadySettled() async throws {
        try await withDaemonRig { rig in
            let ok = rig.connector(.prod, "ok.example.com", "verified")
            let bad = rig.connector(.prod, "bad.example.com", "failed")
            rig.connector(.prod, "wait.example.com", "pending")
            let config = try rig.config()
                .daemon("notify_on_first_seen", "true")
                .auditWebhook(url: rig.url(DaemonRig.genericPath))
                .webhook("chat", type: "slack", url: rig.url(DaemonRig.slackPath))
                .write(to: rig.directory)

            try await rig.withDaemon(config) { _ in
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 2)
                try await rig.waitForDeliveries(to: DaemonRig.slackPath, count: 2)
                try await rig.waitForMorePolls(.prod, count: 3)
            }
            #expect(rig.deliveries.value.count == 4, "\(rig.deliveries.value.map(\.bodyString))")
            let generic = try rig.received(DaemonRig.genericPath).map(GenericDelivery.init)
            #expect(
                Set(generic.map(\.description)) == [
                    "connector.verified ok.example.com nil→verified (prod)",
                    "connector.failed bad.example.com nil→failed (prod)",
                ])
            #expect(generic.allSatisfy { $0.previousStatusSince == nil && $0.keys.data.contains("previous_status") })
            #expect(
                generic.first { $0.type == "connector.failed" }?.verificationCode == "cloudflare_dashboard_sso=\(bad)")
            #expect(generic.first { $0.type == "connector.verified" }?.connectorID == ok)
            let slack = try rig.received(DaemonRig.slackPath).map(Self.slackTexts)
            #expect(slack.contains { $0.fallback.contains("ok.example.com") })
            let failed = try #require(slack.first { $0.fallback.contains("bad.example.com") })
            #expect(failed.blocks.contains("ssowatch connectors begin-verification \(bad) --account prod"))
            #expect(!slack.contains { $0.fallback.contains("wait.example.com") }, "pending is not announced")
        }
    }

    @Test func appearedRemovedAndStuckCarryTheirStatusAndNoPreviousOne() async throws {
        try await withDaemonRig { rig in
            let leaving = rig.connector(.prod, "leaving.example.com", "verified")
            let config = try rig.config()
                .daemon("stuck_after", "2s")
                .auditWebhook(url: rig.url(DaemonRig.genericPath))
                .write(to: rig.directory)

            try await rig.withDaemon(config) { _ in
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 verified")
                let arriving = rig.connector(.prod, "new.example.com", "pending")
                rig.simulator.removeConnector(accountID: TestAccount.prod.id, connectorID: leaving)
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 3)
                try await rig.waitForMorePolls(.prod, count: 2)
                let events = try rig.received(DaemonRig.genericPath).map(GenericDelivery.init)
                #expect(
                    events.map(\.description) == [
                        "connector.appeared new.example.com nil→pending (prod)",
                        "connector.removed leaving.example.com nil→verified (prod)",
                        "connector.stuck new.example.com nil→pending (prod)",
                    ], "one each, in the order detected")
                #expect(events.first { $0.type == "connector.stuck" }?.connectorID == arriving)
                #expect(events.allSatisfy { $0.previousStatusSince == nil })
            }
        }
    }
}
