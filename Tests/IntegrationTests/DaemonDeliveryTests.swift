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
    typealias Harness = DaemonHarness

    @Test func aWebhookOutageDelaysEventsButDeliversEachOnceInOrder() async throws {
        try await withDaemonHarness { h in
            let first = h.connector(.prod, "a.example.com", "pending")
            let second = h.connector(.prod, "b.example.com", "pending")
            let third = h.connector(.prod, "c.example.com", "pending")
            let config = try h.config()
                .webhook("audit", type: "generic", url: h.url(Harness.genericPath), [("events", "all")])
                .write(to: h.directory)
            h.receiver.down()

            try await h.withDaemon(configPath: config) { _ in
                try await h.waitForStatus(containing: "3 connectors in 1 account: 3 pending")
                h.set(.prod, first, "verified")
                try await h.waitForStatus(containing: "1 verified, 2 pending; 1 notification queued")
                try await h.waitForDeliveries(to: Harness.genericPath, count: 1)
                h.set(.prod, second, "failed")
                try await h.waitForStatus(containing: "1 verified, 1 pending, 1 failed; 2 notifications queued")
                h.set(.prod, third, "verified")
                try await h.waitForStatus(containing: "2 verified, 1 failed; 3 notifications queued")
                let failing = try await h.waitForStatus(containing: "1 webhook failing (audit: ")
                #expect(failing.contains("503"), "\(failing)")
                try await h.waitForDeliveries(to: Harness.genericPath, count: 2)

                let before = h.notify.received.count
                h.receiver.up()
                try await h.waitForDeliveries(to: Harness.genericPath, count: 3, successfulOnly: true)
                let status = try await h.waitForStatus(containing: "0 notifications queued", after: before)
                #expect(!status.contains("failing"), "the webhook recovered: \(status)")
                try await h.waitForMorePolls(.prod, count: 3)
            }

            let all = try h.received(Harness.genericPath).map(GenericDelivery.init)
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
        try await withDaemonHarness { h in
            let first = h.connector(.prod, "a.example.com", "pending")
            let second = h.connector(.prod, "b.example.com", "pending")
            let third = h.connector(.prod, "c.example.com", "pending")
            let config = try h.config()
                .webhook("audit", type: "generic", url: h.url(Harness.genericPath), [("events", "all")])
                .write(to: h.directory)

            let stopped = try await h.withDaemon(configPath: config) { daemon in
                try await h.waitForStatus(containing: "3 connectors in 1 account: 3 pending")
                h.set(.prod, first, "verified")
                try await h.waitForDeliveries(to: Harness.genericPath, count: 1, successfulOnly: true)
                h.receiver.down()
                h.set(.prod, second, "failed")
                h.set(.prod, third, "verified")
                try await h.waitForStatus(containing: "2 verified, 1 failed; 2 notifications queued")
                try await h.waitForDeliveries(to: Harness.genericPath, count: 2)
                daemon.signal(SIGTERM)
                return try await daemon.waitForExit(timeout: .seconds(15))
            }
            #expect(stopped.status == 0, "\(stopped)")
            try await h.notify.waitForMessage(containing: "STOPPING=1", timeout: .seconds(5))

            let queued = try await h.status(configPath: config)
            #expect(queued.outbox == 2, "\(queued.text)")
            #expect(queued.webhooks.first?.queued == 2)
            #expect(queued.webhooks.first?.failing == true)
            #expect(queued.connector(second)?.status == "failed")
            let refusedBeforeRestart = try h.received(Harness.genericPath).map(GenericDelivery.init).filter {
                !$0.succeeded
            }

            h.receiver.up()
            try await h.withDaemon(configPath: config) { daemon in
                try await h.waitForDeliveries(to: Harness.genericPath, count: 3, successfulOnly: true)
                try await h.waitForMorePolls(.prod, count: 3)
                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit(timeout: .seconds(15))
                #expect(result.status == 0, "\(result)")
            }

            let all = try h.received(Harness.genericPath).map(GenericDelivery.init)
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
            let after = try await h.status(configPath: config)
            #expect(after.outbox == 0, "\(after.text)")
            #expect(after.webhooks.first?.failing == false)
        }
    }

    @Test func moreThanThreeEventsInOneCycleAreOneChatMessageButSeparateGenericRequests() async throws {
        try await withDaemonHarness { h in
            let domains = ["a.example.com", "b.example.com", "c.example.com", "d.example.com"]
            let ids = domains.map { h.connector(.prod, $0, "pending") }
            let config = try h.config()
                .webhook("audit", type: "generic", url: h.url(Harness.genericPath))
                .webhook("chat", type: "slack", url: h.url(Harness.slackPath))
                .write(to: h.directory)

            try await h.withDaemon(configPath: config) { _ in
                try await h.waitForStatus(containing: "4 connectors in 1 account: 4 pending")
                // Failing polls hold the changes back so that one good poll sees all four.
                h.simulator.injectFault(.htmlError(502), times: 10_000, accountID: TestAccount.prod.id)
                try await h.waitForStatus(containing: "1 account failing (prod: ")
                for (index, id) in ids.enumerated() {
                    h.set(.prod, id, index == 3 ? "failed" : "verified")
                }
                h.simulator.clearFaults()
                try await h.waitForDeliveries(to: Harness.genericPath, count: 4)
                try await h.waitForDeliveries(to: Harness.slackPath, count: 1)
                try await h.waitForMorePolls(.prod, count: 2)
            }

            #expect(h.received(Harness.genericPath).count == 4, "generic: one request per event")
            let slack = h.received(Harness.slackPath)
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
