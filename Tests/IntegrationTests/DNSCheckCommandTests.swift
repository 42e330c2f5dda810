import Foundation
import SSOWatchSimulator
import Testing

/// `ssowatch dns-check` against the simulated API and the simulator's nameservers (127.0.0.2 and
/// 127.0.0.3 on one free port): each result, its line, `--json` and the exit status.
@Suite struct DNSCheckCommandTests {
    static let nameservers = ["ns1.example.test": "127.0.0.2", "ns2.example.test": "127.0.0.3"]

    /// A simulated API and nameservers serving `example.test`, and a configuration pointing at both.
    static func withDNSSetup<T>(_ body: (SimulatedSetup, DNSSimulator) async throws -> T) async throws -> T {
        let dns = try await DNSSimulator.start()
        dns.addZone("example.test", nameservers: nameservers)
        do {
            let result = try await withSimulatedSetup(configure: { config in
                config.daemon("dns_resolvers", "127.0.0.1:\(dns.port)").daemon("dns_port", "\(dns.port)")
                    .daemon("dns_timeout", "1s")
            }) { setup in try await body(setup, dns) }
            await dns.shutdown()
            return result
        } catch {
            await dns.shutdown()
            throw error
        }
    }

    /// Adds a pending connector for `domain` in prod; returns its TXT value.
    static func connector(_ setup: SimulatedSetup, _ domain: String, status: String = "pending") -> String {
        "cloudflare_dashboard_sso="
            + setup.simulator.addConnector(accountID: TestAccount.prod.id, domain: domain, status: status)
    }

    @Test func everyRecordPresentExits0() async throws {
        try await Self.withDNSSetup { setup, dns in
            dns.setTXT("ok.example.test", [Self.connector(setup, "ok.example.test")])
            _ = Self.connector(setup, "done.example.test", status: "verified")  // not checked by default

            let result = try await setup.run(["dns-check"])

            #expect(result.status == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 1, "\(result)")
            #expect(lines.first?.hasPrefix("ok.example.test (prod, pending): present: ") == true, "\(result)")
        }
    }

    @Test func missingPartialAndMistypedRecordsExit1() async throws {
        try await Self.withDNSSetup { setup, dns in
            _ = Self.connector(setup, "missing.example.test")
            dns.setTXT("partial.example.test", [Self.connector(setup, "partial.example.test")], on: "ns1.example.test")
            let typo = Self.connector(setup, "typo.example.test", status: "awaiting")
            dns.setTXT("typo.example.test", [typo.replacingOccurrences(of: "cloudflare_", with: "cloudflared_")])
            dns.setTXT("other.example.test", [Self.connector(setup, "other.example.test", status: "failed")])

            let result = try await setup.run(["dns-check"])

            #expect(result.status == 1, "\(result)")
            let lines = Set(
                result.stdout.split(separator: "\n").map { $0.split(separator: ":").prefix(2).joined(separator: ":") })
            #expect(
                lines == [
                    "missing.example.test (prod, pending): missing", "partial.example.test (prod, pending): partial",
                    "typo.example.test (prod, awaiting): near_miss", "other.example.test (prod, failed): present",
                ], "\(result)")
            #expect(result.stdout.contains("publish TXT missing.example.test"), "\(result)")
        }
    }

    @Test func aSilentNameserverIsInconclusiveUnlessTheOtherShowsTheRecord() async throws {
        try await Self.withDNSSetup { setup, dns in
            dns.setFault(.drop, on: "ns2.example.test")
            _ = Self.connector(setup, "nowhere.example.test")
            let result = try await setup.run(["dns-check"])
            #expect(result.status == 69, "inconclusive only: \(result)")
            #expect(result.stdout.hasPrefix("nowhere.example.test (prod, pending): inconclusive: "), "\(result)")

            // The answering nameserver shows the record: still propagating, whatever the silent one holds.
            dns.setTXT(
                "somewhere.example.test", [Self.connector(setup, "somewhere.example.test")], on: "ns1.example.test")
            let second = try await setup.run(["dns-check", "somewhere.example.test"])
            #expect(second.status == 1, "\(second)")
            #expect(second.stdout.hasPrefix("somewhere.example.test (prod, pending): partial: "), "\(second)")
        }
    }

    @Test func aTruncatedUDPAnswerIsReadOverTCPAndJSONCarriesTheCheck() async throws {
        try await Self.withDNSSetup { setup, dns in
            let code = Self.connector(setup, "big.example.test")
            dns.setTXT(
                "big.example.test", [code] + (0..<8).map { "padding-\($0)-" + String(repeating: "x", count: 200) })
            dns.setFault(.truncateOverUDP, on: "ns1.example.test")

            let result = try await setup.run(["dns-check", "--json", "BIG.example.test"])

            #expect(result.status == 0, "\(result)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            let checked = try #require(object["checked"] as? [[String: Any]])
            try #require(checked.count == 1)
            #expect(checked[0]["domain"] as? String == "big.example.test")
            #expect(checked[0]["account"] as? String == "prod")
            let check = try #require(checked[0]["dns"] as? [String: Any])
            #expect(check["result"] as? String == "present")
            #expect(check["nameservers"] as? [String] == ["ns1.example.test", "ns2.example.test"])
            #expect(check["agreeing"] as? Int == 2)
            #expect(dns.queries.contains { $0.server.hasPrefix("127.0.0.2") && $0.overTCP }, "asked again over TCP")
        }
    }

    @Test func anArgumentThatMatchesNoConnectorExits64() async throws {
        try await Self.withDNSSetup { setup, dns in
            dns.setTXT("ok.example.test", [Self.connector(setup, "ok.example.test")])
            let result = try await setup.run(["dns-check", "ok.example.test", "nope.example.test"])
            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains("nope.example.test matches no connector"), "\(result)")
            #expect(result.stdout.hasPrefix("ok.example.test (prod, pending): present"), "\(result)")
        }
    }

    @Test func anUnknownAccountExits64BeforeAnyRequest() async throws {
        try await Self.withDNSSetup { setup, dns in
            let result = try await setup.run(["dns-check", "--account", "nope"])
            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains("no account named nope"), "\(result)")
            #expect(result.stderr.contains("accounts: prod, staging"), "\(result)")
            #expect(setup.simulator.requests.isEmpty && dns.queries.isEmpty)
        }
    }
}
