import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ssowatch run` with `[daemon] metrics_listen`: what a Prometheus scrape of the real binary shows,
/// how reloads move the listener, and that a busy port does not stop the daemon.
@Suite struct MetricsEndpointTests {
    @Test func scrapesShowConnectorsPollsAndNotifications() async throws {
        try await withDaemonRig { rig in
            let verifying = rig.connector(.prod, "verify.example.com", "pending")
            let failing = rig.connector(.prod, "fail.example.com", "pending")
            let port = try freeLoopbackPort()
            let config = try rig.auditedConfig([("metrics_listen", "127.0.0.1:\(port)")]).write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                // Listening as soon as the daemon is ready, before any poll.
                let first = try scrape(port: port)
                #expect(first.status == 200)
                #expect(first.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
                #expect(first.body.contains("ssowatch_build_info{version="))
                #expect(first.body.contains("ssowatch_polls_total{account=\"prod\",result=\"error\"} 0"))

                try await rig.waitForStatus(containing: "2 connectors in 1 account: 2 pending")
                rig.set(.prod, verifying, "verified")
                rig.set(.prod, failing, "failed")
                let samples = try await waitForSamples(port: port, "both changes and their deliveries") { samples in
                    samples[connectorStatus(verifying, "verify.example.com", "verified")] == "1"
                        && samples[connectorStatus(failing, "fail.example.com", "failed")] == "1"
                        && samples["ssowatch_notifications_total{webhook=\"audit\",result=\"delivered\"}"] == "2"
                }
                #expect(samples[connectorStatus(verifying, "verify.example.com", "pending")] == "0")
                #expect(samples[connectorStatus(failing, "fail.example.com", "pending")] == "0")
                #expect(samples["ssowatch_outbox_events"] == "0.0")
                #expect(Int(samples["ssowatch_polls_total{account=\"prod\",result=\"success\"}"] ?? "") ?? 0 >= 2)
                #expect(Int(samples["ssowatch_api_requests_total{code=\"200\"}"] ?? "") ?? 0 >= 2)
                #expect(Int(samples["ssowatch_poll_duration_seconds_count"] ?? "") ?? 0 >= 2)
                #expect(
                    samples["ssowatch_rate_limit_remaining{token=\"prod\"}"] != nil, "the simulator sends Ratelimit")
                #expect(samples["ssowatch_account_consecutive_failures{account=\"prod\"}"] == "0")
                let since = samples[
                    "ssowatch_connector_status_since_seconds{account=\"prod\",connector=\"\(verifying)\","
                        + "domain=\"verify.example.com\"}"]
                let sinceSeconds = try #require(since.flatMap(Double.init))
                #expect(abs(sinceSeconds - Date().timeIntervalSince1970) < 120)
                let whole = try scrape(port: port).body
                #expect(!whole.contains(TestAccount.prod.token), "never the token")

                #expect(try scrape(port: port, path: "/").status == 200)
                #expect(try scrape(port: port, path: "/metrics/extra").status == 404)
                #expect(try scrape(port: port, method: "POST").status == 405)

                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit()
                #expect(result.status == 0, "\(result)")
                #expect(throws: (any Error).self, "the port is closed on stop") { try scrape(port: port) }
            }
        }
    }

    @Test func aReloadMovesTheListenerAndABusyPortIsOnlyAnError() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "example.com", "verified")
            let busy = try LoopbackListener()
            let path = try rig.config().daemon("metrics_listen", "127.0.0.1:\(busy.port)").write(to: rig.directory)

            try await rig.withDaemon(path) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await daemon.waitForOutput(
                    containing: "cannot listen for metrics on 127.0.0.1:\(busy.port): Address already in use",
                    in: .stderr)
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 verified")
                #expect(daemon.isRunning, "a busy metrics port does not stop the daemon")

                let port = try freeLoopbackPort()
                try rig.config().daemon("metrics_listen", "127.0.0.1:\(port)").write(to: rig.directory)
                let before = rig.notify.received.count
                daemon.signal(SIGHUP)
                let ready = try await rig.notify.waitForMessage(containing: "READY=1", after: before)
                #expect(!ready.contains("reload failed"), "\(ready)")
                let samples = try await waitForSamples(port: port, "prod's connector after the reload") { samples in
                    samples.contains {
                        $0.key.contains("domain=\"example.com\",status=\"verified\"") && $0.value == "1"
                    }
                }
                #expect(samples["ssowatch_polls_total{account=\"prod\",result=\"error\"}"] == "0")

                // Metrics off again: the listener closes.
                try rig.config().write(to: rig.directory)
                let again = rig.notify.received.count
                daemon.signal(SIGHUP)
                try await rig.notify.waitForMessage(containing: "READY=1", after: again)
                #expect(throws: (any Error).self, "metrics_listen removed: nothing listens") { try scrape(port: port) }
                #expect(daemon.isRunning)
            }
        }
    }

    @Test func twoThousandIdleConnectionsHoldUpNeitherDetectionNorSavingNorDelivery() async throws {
        let connectionCount = 2_000
        try raiseDescriptorLimit(to: connectionCount + 1_024)
        try await withDaemonRig { rig in
            let id = rig.connector(.prod, "example.com", "pending")
            let port = try freeLoopbackPort()
            let config = try rig.auditedConfig([("metrics_listen", "127.0.0.1:\(port)")]).write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")

                let idle = IdleConnections()
                defer { idle.closeAll() }
                // The daemon keeps at most 64 and closes the others as soon as it accepts them. Its accept
                // queue is short, and a connect finding it full waits a second for the kernel's retry: a
                // few at a time, then, each time until the daemon has taken them.
                while idle.count < connectionCount {
                    for _ in 0..<min(8, connectionCount - idle.count) { try idle.open(port: port) }
                    try await waitUntil(
                        "the daemon to close all but 64 of \(idle.count) connections", timeout: .seconds(20)
                    ) {
                        idle.closedByServer >= idle.count - 64
                    }
                }
                let kept = connectionCount - idle.closedByServer
                #expect(kept <= 64, "\(kept) idle connections kept open")

                rig.set(.prod, id, "verified")
                let delivered = try await rig.waitForDeliveries(
                    to: DaemonRig.genericPath, count: 1, successfulOnly: true)
                #expect(
                    try delivered.map { try GenericDelivery($0).description } == [
                        "connector.verified example.com pending→verified (prod)"
                    ])
                let saved = try await rig.waitForStatusJSON(configPath: config, "example.com verified") {
                    $0.connector(id)?.status == "verified" && $0.outbox == 0
                }
                #expect(saved.account("prod")?.lastError == nil, "\(saved.text)")

                // The kept connections are closed once idle for 10 s; then a scrape gets through again.
                try await waitUntil("the daemon to close every idle connection", timeout: .seconds(40)) {
                    idle.closedByServer == connectionCount
                }
                let samples = try await waitForSamples(port: port, "example.com verified") { samples in
                    samples[connectorStatus(id, "example.com", "verified")] == "1"
                }
                #expect(samples["ssowatch_notifications_total{webhook=\"audit\",result=\"delivered\"}"] == "1")

                #expect(daemon.isRunning)
                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit()
                #expect(result.status == 0, "\(result)")
            }
        }
    }
}

/// `ssowatch_connector_status` of one of prod's connectors.
private func connectorStatus(_ id: String, _ domain: String, _ status: String) -> String {
    "ssowatch_connector_status{account=\"prod\",connector=\"\(id)\",domain=\"\(domain)\",status=\"\(status)\"}"
}
