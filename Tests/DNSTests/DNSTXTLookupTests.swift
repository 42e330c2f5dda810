import Foundation
import SSOWatchDNS
import SSOWatchSimulator
import Testing

/// The whole check against the simulator: SOA walk, NS set, each nameserver asked, then the verdict.
@Suite struct DNSTXTLookupTests {
    private func check(
        _ dns: DNSSimulator, _ domain: String, client: DNSClient = DNSFixture.client(),
        mode: DNSQueryMode = .authoritative
    )
        async throws -> (DNSLookupReport, DNSCheckResult)
    {
        let report = await DNSFixture.lookup(dns, client: client, mode: mode).lookup(try DNSName(domain))
        return (report, DNSDiagnosis.diagnose(expected: DNSFixture.expected, report: report, checked: Date()))
    }

    @Test func presentOnBothNameservers() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected, "v=spf1 -all"])
            let (report, result) = try await check(dns, "example.test")
            #expect(report.zone == (try DNSName("example.test")))
            #expect(result.result == .present && result.agreeing == 2)
            #expect(result.nameservers == ["ns1.example.test", "ns2.example.test"])
            // Nameservers are asked with recursion off.
            #expect(dns.queries.filter { $0.server != dns.resolver.host }.allSatisfy { $0.question.type == .txt })
        }
    }

    @Test func soaWalkFromASubdomain() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("sso.corp.example.test", [DNSFixture.expected])
            let finder = DNSAuthorityFinder(
                client: DNSFixture.client(), resolvers: [dns.resolver], nameserverPort: dns.port)
            #expect(try await finder.zoneApex(of: DNSName("deep.sso.corp.example.test")) == DNSName("example.test"))
            let authority = try await finder.authority(for: DNSName("sso.corp.example.test"))
            #expect(authority.nameservers.map(\.name.description) == ["ns1.example.test", "ns2.example.test"])
            #expect(authority.nameservers.map { $0.addresses.map(\.host) } == [["127.0.0.2"], ["127.0.0.3"]])
            let (report, result) = try await check(dns, "sso.corp.example.test")
            #expect(report.zone == (try DNSName("example.test")) && result.result == .present)
        }
    }

    @Test func onOneOfTwoNameserversIsPartial() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected], on: "ns2.example.test")
            let (_, result) = try await check(dns, "example.test")
            #expect(result.result == .partial && result.agreeing == 1)
            #expect(result.detail.contains("found on ns2.example.test but not yet on ns1.example.test"))
        }
    }

    @Test func onNoneIsMissing() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", ["cloudflare_dashboard_sso=ffffffffffffffffffffffffffffffff"])
            let (_, result) = try await check(dns, "example.test")
            #expect(result.result == .missing && result.agreeing == 0)
            let (_, nxdomain) = try await check(dns, "nothing.example.test")
            #expect(nxdomain.result == .missing)
        }
    }

    @Test func aNameserverThatNeverAnswersMakesItInconclusive() async throws {
        try await withDNSSimulator { dns in
            dns.setFault(.drop, on: "ns2.example.test")
            let client = DNSFixture.client(timeout: .milliseconds(400), udpAttempts: 1)
            let (report, result) = try await check(dns, "example.test", client: client)
            #expect(result.result == .inconclusive)
            #expect(report.nameservers.map(\.outcome) == [.answered(txtValues: []), .failed("timed out")])
            // …but a record already seen on the answering one is partial.
            dns.setTXT("example.test", [DNSFixture.expected], on: "ns1.example.test")
            let (_, seen) = try await check(dns, "example.test", client: client)
            #expect(seen.result == .partial)
        }
    }

    @Test func serverFailureAndRefusalAreFailures() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            dns.setFault(.serverFailure, on: "ns1.example.test")
            dns.setFault(.refused, on: "ns2.example.test")
            let (report, result) = try await check(dns, "example.test")
            #expect(report.nameservers.map(\.outcome) == [.failed("answered SERVFAIL"), .failed("answered REFUSED")])
            #expect(result.result == .inconclusive)
        }
    }

    @Test func nearMissOnBothNameservers() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", ["cloudflared_dashboard_sso=\(DNSFixture.code)"])
            let (_, result) = try await check(dns, "example.test")
            #expect(result.result == .nearMiss && result.mistakes == [.cloudflaredPrefix])
            dns.setTXTStrings("example.test", [["\"cloudflare_dashboard_sso=", "\(DNSFixture.code)\""]])
            let (_, quoted) = try await check(dns, "example.test")
            #expect(quoted.result == .nearMiss && quoted.mistakes == [.quotes])
        }
    }

    @Test func multiStringRecordsAreJoined() async throws {
        try await withDNSSimulator { dns in
            dns.setTXTStrings("example.test", [["cloudflare_dashboard_sso=", DNSFixture.code]])
            let (_, result) = try await check(dns, "example.test")
            #expect(result.result == .present)
        }
    }

    @Test func truncatedUDPAnswersAreReadOverTCP() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            dns.setFault(.truncateOverUDP, on: "ns2.example.test")
            let (_, result) = try await check(dns, "example.test")
            #expect(result.result == .present)
            #expect(dns.queries.contains { $0.server == "127.0.0.3" && $0.overTCP })
        }
    }

    @Test func aliasInsideTheZone() async throws {
        try await withDNSSimulator { dns in
            dns.setCNAME("sso.example.test", target: "verify.example.test")
            dns.setTXT("verify.example.test", [DNSFixture.expected])
            let (_, result) = try await check(dns, "sso.example.test")
            #expect(result.result == .present && result.nameservers == ["ns1.example.test", "ns2.example.test"])
        }
    }

    @Test func aliasToAnotherZoneIsCheckedAtThatZonesNameservers() async throws {
        try await withDNSSimulator { dns in
            dns.addZone("provider.test", nameservers: ["ns.provider.test": "127.0.0.3"])
            dns.setCNAME("sso.example.test", target: "customer1.provider.test")
            dns.setTXT("customer1.provider.test", [DNSFixture.expected])
            let (report, result) = try await check(dns, "sso.example.test")
            #expect(report.nameservers.map(\.nameserver) == ["ns.provider.test"])
            #expect(result.result == .present)
        }
    }

    @Test func resolversModeAsksOnlyTheResolvers() async throws {
        try await withDNSSimulator { dns in
            dns.setTXT("example.test", [DNSFixture.expected])
            let (report, result) = try await check(dns, "example.test", mode: .resolvers)
            #expect(report.nameservers.map(\.nameserver) == [dns.resolver.description])
            #expect(result.result == .present)
            #expect(dns.queries.allSatisfy { $0.server == dns.resolver.host })
        }
    }

    @Test func aResolverThatNeverAnswersIsInconclusive() async throws {
        try await withDNSSimulator { dns in
            dns.setFault(.drop, on: dns.resolver.host)
            let client = DNSFixture.client(timeout: .milliseconds(300), udpAttempts: 1)
            let (report, result) = try await check(dns, "example.test", client: client)
            #expect(report.nameservers.isEmpty && report.failure != nil)
            #expect(result.result == .inconclusive)
        }
    }
}
