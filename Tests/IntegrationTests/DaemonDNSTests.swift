import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

/// The daemon's own DNS check against the simulator's nameservers: `dns_missing` once per episode after
/// two conclusive checks, `dns_found` when the record is published, nothing for a silent nameserver, and
/// the latest result in `status --json`.
@Suite struct DaemonDNSTests {
    static let nameservers = ["ns1.example.test": "127.0.0.2", "ns2.example.test": "127.0.0.3"]

    /// The daemon watching one pending connector of `sso.example.test`, checking DNS every second on the
    /// simulator's nameservers, with a generic webhook for every event.
    static func withDNSDaemon(
        _ body: (DaemonRig, DNSSimulator, _ code: String) async throws -> Void
    ) async throws {
        let dns = try await DNSSimulator.start()
        dns.addZone("example.test", nameservers: nameservers)
        do {
            let settings: [ConfigFile.Setting] = [
                ("dns_check", "on"), ("dns_resolvers", "127.0.0.1:\(dns.port)"), ("dns_port", "\(dns.port)"),
                ("dns_timeout", "1s"), ("dns_check_interval", "1s"),
            ]
            let audit = TestWebhook.make("audit", type: "generic", settings: [("events", "all")])
            try await withWatchingDaemon(
                domains: ["sso.example.test"], webhooks: [audit], daemonSettings: settings
            ) { rig, _ in
                try await body(rig, dns, "cloudflare_dashboard_sso=" + rig.connectorIDs[0])
            }
            await dns.shutdown()
        } catch {
            await dns.shutdown()
            throw error
        }
    }

    static func count(_ type: String, in deliveries: [RecordedRequest]) -> Int {
        deliveries.filter { String(decoding: $0.body, as: UTF8.self).contains("\"type\":\"\(type)\"") }.count
    }

    @Test func aMissingRecordIsAnnouncedOnceAndItsPublicationThenVerification() async throws {
        try await Self.withDNSDaemon { rig, dns, code in
            let missing = try await rig.waitForDeliveries("dns_missing", timeout: .seconds(30)) {
                Self.count("connector.dns_missing", in: $0) == 1
            }
            let body = String(decoding: try #require(missing.last).body, as: UTF8.self)
            #expect(body.contains("\"result\":\"missing\""), "\(body)")
            #expect(body.contains("ns1.example.test") && body.contains("ns2.example.test"), "\(body)")
            // Still missing at the next checks: announced once per episode.
            let status = try await rig.waitForStatusJSON("three more checks", timeout: .seconds(30)) { status in
                status.connectors.first?.dns?.result == "missing"
            }
            #expect(status.connectors.first?.dns?.nameservers == ["ns1.example.test", "ns2.example.test"])

            dns.setTXT("sso.example.test", [code])
            let found = try await rig.waitForDeliveries("dns_found", timeout: .seconds(30)) {
                Self.count("connector.dns_found", in: $0) == 1
            }
            #expect(Self.count("connector.dns_missing", in: found) == 1, "no second dns_missing")

            rig.flip(0, to: "verified")
            let all = try await rig.waitForDeliveries("verified", timeout: .seconds(30)) {
                Self.count("connector.verified", in: $0) == 1
            }
            #expect(Self.count("connector.dns_missing", in: all) == 1)
            #expect(Self.count("connector.dns_found", in: all) == 1)
        }
    }

    @Test func aNameserverThatNeverAnswersIsInconclusiveAndAnnouncesNothing() async throws {
        try await Self.withDNSDaemon { rig, dns, _ in
            dns.setFault(.drop, on: "ns2.example.test")
            let status = try await rig.waitForStatusJSON("an inconclusive check", timeout: .seconds(30)) { status in
                status.connectors.first?.dns?.result == "inconclusive"
            }
            #expect(status.connectors.first?.dns?.agreeing == 0)
            // Several more checks (every second, each waiting 2 × 1 s for ns2): still nothing announced.
            let before = dns.queries.count
            try await waitUntil("more checks", timeout: .seconds(30), every: .milliseconds(50)) {
                dns.queries.count >= before + 6
            }
            let deliveries = rig.deliveries.value
            #expect(Self.count("connector.dns_missing", in: deliveries) == 0, "inconclusive is never a problem")
        }
    }
}
