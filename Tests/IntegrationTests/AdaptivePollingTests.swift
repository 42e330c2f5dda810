import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

/// Adaptive polling with the real binary (docs/MONITORING.md): the schedule `check-config` prints per token,
/// a settled account polled again soon after `dns_found`, and its pace in `status --json`.
@Suite struct AdaptivePollingTests {
    @Test func checkConfigPrintsBothSchedulesAndWarnsOnlyWhenTheSettledOneDoesNotFit() async throws {
        try await withTemporaryDirectory { directory in
            let shared = (1...20).map { TestAccount.make("many", $0, token: "cfut_adaptive_shared_5a6b") }
            func write(settled: String) throws -> String {
                var config = ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                    .daemon("poll_interval", "1m").daemon("settled_poll_interval", settled)
                    .daemon("rate_limit", "10/1m")
                for account in shared { config = config.account(account.name, id: account.id, token: account.token) }
                return try config.write(to: directory, name: "adaptive-\(settled).ini")
            }

            let adaptive = try await runSSOWatch(["check-config", "--config", write(settled: "10m")])
            #expect(adaptive.status == 0, "\(adaptive)")
            let lines = adaptive.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("  settled poll interval    10m"), "\(adaptive.stdout)")
            let row = try #require(lines.first { $0.contains("20 accounts") }, "\(adaptive.stdout)")
            #expect(row.hasPrefix("  many1, many2, many3, many4, many5 +15 more"), "\(row)")
            #expect(row.contains("all pending: 20 of 10 requests per 1m"), "\(row)")
            #expect(row.contains("settled: 2 "), "\(row)")
            #expect(
                row.hasSuffix(
                    "fits while at most 8 accounts have a pending connector; smallest poll_interval that fits all: 2m"),
                "\(row)")
            #expect(!adaptive.stderr.contains("rate_limit allows"), "no warning: \(adaptive.stderr)")

            let tight = try await runSSOWatch(["check-config", "--config", write(settled: "90s")])
            #expect(tight.status == 0, "a budget that does not fit is a warning, not an error: \(tight)")
            let tightRow = try #require(tight.stdout.split(separator: "\n").first { $0.contains("20 accounts") })
            #expect(tightRow.contains("settled: 13.3"), "\(tightRow)")
            #expect(
                tightRow.hasSuffix("DOES NOT FIT: polls are spaced by the budget; smallest interval that fits: 2m"),
                "\(tightRow)")
            #expect(tight.stderr.contains("even when settled"), "\(tight.stderr)")
            #expect(tight.stderr.contains("A settled_poll_interval of at least 2m fits"), "\(tight.stderr)")
            #expect(!tight.stdout.contains("cfut_adaptive") && !tight.stderr.contains("cfut_adaptive"))

            let shorter = try await runSSOWatch(["check-config", "--config", write(settled: "30s")])
            #expect(shorter.status == 78, "\(shorter)")
            #expect(
                shorter.stderr.contains(
                    ": settled_poll_interval 30s is shorter than poll_interval (1m): settled accounts are polled "),
                "\(shorter.stderr)")
        }
    }

    @Test func aSettledAccountIsPolledSoonAfterDNSFoundThenWaitsItsSettledInterval() async throws {
        let dns = try await DNSSimulator.start()
        dns.addZone("example.test", nameservers: DaemonDNSTests.nameservers)
        do {
            let settings: [ConfigFile.Setting] = [
                ("dns_check", "on"), ("dns_resolvers", "127.0.0.1:\(dns.port)"), ("dns_port", "\(dns.port)"),
                ("dns_timeout", "1s"), ("dns_check_interval", "1s"), ("settled_poll_interval", "1h"),
            ]
            let audit = TestWebhook.make("audit", type: "generic", settings: [("events", "all")])
            // An awaiting connector (created with "verify later") is settled: polled every hour.
            try await withWatchingDaemon(
                domains: ["sso.example.test"], webhooks: [audit], daemonSettings: settings,
                beforeStart: { rig in rig.flip(0, to: "awaiting") }
            ) { rig, _ in
                let settled = try await rig.waitForStatusJSON("the account settled") { status in
                    status.accounts.first?.pace == "settled" && status.connectors.first?.dns?.result == "missing"
                }
                #expect(settled.accounts.first?.interval == 3600, "\(settled.accounts)")
                #expect(rig.pollCount() == 1, "only the baseline poll within the hour")

                dns.setTXT("sso.example.test", ["cloudflare_dashboard_sso=" + rig.connectorIDs[0]])
                try await rig.waitForDeliveries("dns_found", timeout: .seconds(30)) {
                    DaemonDNSTests.count("connector.dns_found", in: $0) == 1
                }
                // Polled within 10 s of dns_found (docs/MONITORING.md), not an hour later.
                try await rig.waitForPolls(count: 2, timeout: .seconds(10))
                // Then the hourly schedule again: several more DNS checks, no further poll.
                let before = dns.queries.count
                try await waitUntil("more DNS checks", timeout: .seconds(30), every: .milliseconds(50)) {
                    dns.queries.count >= before + 12
                }
                #expect(rig.pollCount() == 2, "one poll soon, then the settled interval")
            }
            await dns.shutdown()
        } catch {
            await dns.shutdown()
            throw error
        }
    }
}
