import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ssowatch run` delivering to a webhook that is down, across a restart, and in batches (docs/MONITORING.md, §5):
/// every event arrives, in order, once, with the same `webhook-id` on every attempt.
@Suite struct DaemonDeliveryTests {
    /// The domains of the three `pending` connectors both outage tests start with.
    static let domains = ["a.example.com", "b.example.com", "c.example.com"]

    @Test func aWebhookOutageDelaysEventsButDeliversEachOnceInOrder() async throws {
        try await withDaemonRig(connectors: Self.domains) { rig in
            let (first, second, third) = (rig.connectorIDs[0], rig.connectorIDs[1], rig.connectorIDs[2])
            let config = try rig.auditedConfig().write(to: rig.directory)
            rig.receiver.down()

            try await rig.withDaemon(config) { _ in
                try await rig.waitForStatus(containing: "3 connectors in 1 account: 3 pending")
                rig.set(.prod, first, "verified")
                try await rig.waitForStatus(containing: "1 verified, 2 pending; 1 notification queued")
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 1)
                rig.set(.prod, second, "failed")
                try await rig.waitForStatus(containing: "1 verified, 1 pending, 1 failed; 2 notifications queued")
                rig.set(.prod, third, "verified")
                try await rig.waitForStatus(containing: "2 verified, 1 failed; 3 notifications queued")
                let failing = try await rig.waitForStatus(containing: "1 webhook failing (audit: ")
                #expect(failing.contains("503"), "\(failing)")
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 2)

                let before = rig.notify.received.count
                rig.receiver.up()
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 3, successfulOnly: true)
                let status = try await rig.waitForStatus(containing: "0 notifications queued", after: before)
                #expect(!status.contains("failing"), "the webhook recovered: \(status)")
                try await rig.waitForMorePolls(.prod, count: 3)
            }

            let all = try rig.received(DaemonRig.genericPath).map(GenericDelivery.init)
            let delivered = all.filter(\.succeeded)
            let refused = all.filter { !$0.succeeded }
            #expect(
                delivered.map(\.description) == [
                    "connector.verified a.example.com pending→verified (prod)",
                    "connector.failed b.example.com pending→failed (prod)",
                    "connector.verified c.example.com pending→verified (prod)",
                ], "in the order detected, each once")
            #expect(Set(delivered.compactMap(\.webhookID)).count == 3, "\(delivered.map(\.webhookID))")
            #expect(refused.count >= 2, "retried while down: \(all)")
            // A webhook being retried holds its later events: every refused attempt was the first event,
            // with its id and detection timestamp unchanged.
            let head = try #require(delivered.first)
            for attempt in refused {
                #expect(attempt.webhookID == head.webhookID)
                #expect(attempt.timestamp == head.timestamp)
                #expect(attempt.domain == "a.example.com")
            }
        }
    }

    @Test func undeliveredEventsSurviveARestartAndDeliveredOnesAreNotRepeated() async throws {
        try await withDaemonRig(connectors: Self.domains) { rig in
            let (first, second, third) = (rig.connectorIDs[0], rig.connectorIDs[1], rig.connectorIDs[2])
            let config = try rig.auditedConfig().write(to: rig.directory)

            let stopped = try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "3 connectors in 1 account: 3 pending")
                rig.set(.prod, first, "verified")
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 1, successfulOnly: true)
                rig.receiver.down()
                rig.set(.prod, second, "failed")
                rig.set(.prod, third, "verified")
                try await rig.waitForStatus(containing: "2 verified, 1 failed; 2 notifications queued")
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 2)
                daemon.signal(SIGTERM)
                return try await daemon.waitForExit(timeout: .seconds(15))
            }
            #expect(stopped.status == 0, "\(stopped)")
            try await rig.notify.waitForMessage(containing: "STOPPING=1", timeout: .seconds(5))

            let queued = try await rig.status(configPath: config)
            #expect(queued.outbox == 2, "\(queued.text)")
            #expect(queued.webhooks.first?.queued == 2)
            #expect(queued.webhooks.first?.failing == true)
            #expect(queued.connector(second)?.status == "failed")
            let refusedBeforeRestart = try rig.received(DaemonRig.genericPath).map(GenericDelivery.init).filter {
                !$0.succeeded
            }

            rig.receiver.up()
            try await rig.withDaemon(config) { daemon in
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 3, successfulOnly: true)
                try await rig.waitForMorePolls(.prod, count: 3)
                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit(timeout: .seconds(15))
                #expect(result.status == 0, "\(result)")
            }

            let all = try rig.received(DaemonRig.genericPath).map(GenericDelivery.init)
            let delivered = all.filter(\.succeeded)
            #expect(
                delivered.map(\.description) == [
                    "connector.verified a.example.com pending→verified (prod)",
                    "connector.failed b.example.com pending→failed (prod)",
                    "connector.verified c.example.com pending→verified (prod)",
                ], "each event once, in order, across the restart")
            let ids = delivered.compactMap(\.webhookID)
            #expect(ids.count == 3 && Set(ids).count == 3, "webhook-ids unique among 2xx answers: \(ids)")
            for attempt in refusedBeforeRestart {
                #expect(ids.contains(attempt.webhookID ?? ""), "a redelivery keeps its webhook-id: \(attempt)")
            }
            let after = try await rig.status(configPath: config)
            #expect(after.outbox == 0, "\(after.text)")
            #expect(after.webhooks.first?.failing == false)
        }
    }

    @Test func moreThanThreeEventsInOneCycleAreOneChatMessageButSeparateGenericRequests() async throws {
        try await withDaemonRig { rig in
            let domains = ["a.example.com", "b.example.com", "c.example.com", "d.example.com"]
            let ids = domains.map { rig.connector(.prod, $0, "pending") }
            let config = try rig.config()
                .webhook("audit", type: "generic", url: rig.url(DaemonRig.genericPath))
                .webhook("chat", type: "slack", url: rig.url(DaemonRig.slackPath))
                .write(to: rig.directory)

            try await rig.withDaemon(config) { _ in
                try await rig.waitForStatus(containing: "4 connectors in 1 account: 4 pending")
                // Failing polls hold the changes back so that one good poll sees all four.
                rig.simulator.injectFault(.htmlError(502), times: 10_000, accountID: TestAccount.prod.id)
                try await rig.waitForStatus(containing: "1 account failing (prod: ")
                for (index, id) in ids.enumerated() {
                    rig.set(.prod, id, index == 3 ? "failed" : "verified")
                }
                rig.simulator.clearFaults()
                try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 4)
                try await rig.waitForDeliveries(to: DaemonRig.slackPath, count: 1)
                try await rig.waitForMorePolls(.prod, count: 2)
            }

            #expect(rig.received(DaemonRig.genericPath).count == 4, "generic: one request per event")
            let slack = rig.received(DaemonRig.slackPath)
            try #require(slack.count == 1, "chat: one message for the cycle, got \(slack.count)")
            let text = try DaemonTransitionTests.slackTexts(slack[0])
            #expect(text.fallback.contains("4 SSO domain changes in account prod"), "\(text.fallback)")
            for domain in domains {
                #expect(text.blocks.contains(domain), "\(domain) listed: \(text.blocks)")
            }
            #expect(text.blocks.contains("ssowatch connectors begin-verification"))
        }
    }
}
