import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// Peers that send a response head and then nothing, keeping the connection open (a stuck proxy, a load
/// balancer, a lost NAT mapping): one deadline covers connect, head and body, so the real daemon ends the
/// exchange at `request_timeout` (or the webhook's `timeout`), reports it, and carries on.
@Suite struct HalfOpenPeerTests {
    @Test func aStalledListBodyEndsAtTheDeadlineAndTheAccountIsPolledAgain() async throws {
        try await withDaemonRig { rig in
            let prod = TestAccount(name: "prod", id: TestAccount.prod.id, token: "cfut_halfopen_prod_1a2b")
            let staging = TestAccount(name: "staging", id: TestAccount.staging.id, token: "cfut_halfopen_stg_3c4d")
            rig.register([prod, staging])
            let connector = rig.simulator.addConnector(accountID: prod.id, domain: "stalled.example", status: "pending")
            _ = rig.simulator.addConnector(accountID: staging.id, domain: "other.example", status: "verified")
            let path = try rig.auditedConfig(accounts: [prod, staging], [("request_timeout", "2s")]).write(
                to: rig.directory)

            try await rig.withDaemon(path) { daemon in
                try await rig.waitForStatusLine("after both baselines") {
                    $0.hasPrefix("2 connectors in 2 accounts: 1 verified, 1 pending")
                }
                // The next list of prod sends its head and never its body.
                rig.simulator.injectFault(.headThenSilence, times: 1, accountID: prod.id)
                let stalledAt = rig.polls(of: prod).count
                try await rig.waitForPolls(prod, count: 1, after: stalledAt)
                let stalled = ContinuousClock.now
                rig.simulator.setStatus(accountID: prod.id, connectorID: connector, status: "verified")

                // The exchange ends at the deadline; the next poll sees the change and announces it.
                let delivered = try await rig.waitForDeliveries(count: 1, timeout: .seconds(20))
                let recovered = ContinuousClock.now - stalled
                #expect(delivered[0].jsonObject?["type"] as? String == "connector.verified")
                let log = try await daemon.waitForOutput(
                    containing: "no response from 127.0.0.1 within 2s", in: .stderr)
                #expect(
                    log.contains(
                        "warning: poll failed: GET /accounts/\(prod.id)/sso_connectors: no response from 127.0.0.1 within 2s"
                    ), "\(log)")
                let status = try await rig.waitForStatusJSON(configPath: path, "prod healthy again") {
                    $0.account("prod")?.lastError == nil && $0.statuses[connector] == "verified"
                }
                #expect(status.account("prod")?.overdue == false, "the deadline ended it; nothing was overdue")
                print("stalled list body → next successful poll and delivery after \(recovered)")
                #expect(rig.polls(of: staging).count >= 3, "the other account went on meanwhile")
            }
        }
    }

    @Test func aStalledWebhookBodyIsRetriedAndDelivered() async throws {
        let webhook = TestWebhook.make("audit", type: "generic", settings: [("timeout", "2s")])
        try await withWatchingDaemon(webhooks: [webhook]) { rig, daemon in
            rig.receiver.enqueue(.init(status: 200, body: "ok", pace: .headThenSilence))
            rig.flip(0, to: "verified")
            let started = ContinuousClock.now
            try await rig.waitForDeliveries(count: 2, timeout: .seconds(20))
            let retried = ContinuousClock.now - started
            let requests = rig.receiver.received
            #expect(requests.count == 2)
            #expect(requests[0].header("webhook-id") == requests[1].header("webhook-id"), "the same event, retried")
            let line = try await daemon.waitForOutput(containing: "delivery failed, will retry", in: .stderr)
            #expect(line.contains("no response from 127.0.0.1 within 2s"), "\(line)")
            // Recorded as delivered once the retry's answer is in.
            let deadline = ContinuousClock.now + .seconds(10)
            var outbox = try await rig.status().outbox
            while outbox != 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                outbox = try await rig.status().outbox
            }
            #expect(outbox == 0)
            print("stalled webhook body → delivered on retry after \(retried)")
        }
    }
}
