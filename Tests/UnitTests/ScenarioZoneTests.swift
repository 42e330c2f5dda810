import SSOWatchDNS
import SSOWatchSimulator
import Testing

/// `ScenarioZone`: the DNS of `ssowatch simulate --dns-zone` (the DNS benchmark's simulator).
@Suite struct ScenarioZoneTests {
    @Test func publishesTheRecordOfEveryNthConnectorOnEveryNameserver() async throws {
        let api = CloudflareSimulator()
        let zone = try #require(ScenarioZone(apex: "bench.test", presentEvery: 2))
        let accounts = SimulatorScenario(accounts: 2, connectorsPerAccount: 3, domainSuffix: zone.apex).seed(api)
        #expect(accounts[1].domains == ["a1-c0.bench.test", "a1-c1.bench.test", "a1-c2.bench.test"])
        let dns = try await DNSSimulator.start()
        do {
            // Counted over every account in seeding order: a0-c0, a0-c2, a1-c1.
            #expect(zone.publish(accounts, of: api, on: dns) == 3)
            #expect(zone.nameservers(on: dns) == ["ns1.bench.test": "127.0.0.2", "ns2.bench.test": "127.0.0.3"])
            let client = DNSClient(timeout: .seconds(2))
            for nameserver in dns.nameserverAddresses {
                var found: [String: [String]] = [:]
                for domain in accounts.flatMap(\.domains) {
                    let answer = try await client.query(
                        DNSName(domain), type: .txt, server: DNSServerAddress(host: nameserver, port: dns.port),
                        recursionDesired: false)
                    found[domain] = answer.answers.compactMap(\.data.joinedText)
                }
                let code = { (account: Int, index: Int) in
                    "cloudflare_dashboard_sso=" + accounts[account].connectorIDs[index]
                }
                #expect(
                    found == [
                        "a0-c0.bench.test": [code(0, 0)], "a0-c1.bench.test": [], "a0-c2.bench.test": [code(0, 2)],
                        "a1-c0.bench.test": [], "a1-c1.bench.test": [code(1, 1)], "a1-c2.bench.test": [],
                    ], "on \(nameserver)")
            }
        } catch {
            await dns.shutdown()
            throw error
        }
        await dns.shutdown()
    }

    @Test func refusesWhatCannotBeServed() {
        #expect(ScenarioZone(apex: "bench..test", presentEvery: 2) == nil)
        #expect(ScenarioZone(apex: "", presentEvery: 2) == nil)
        #expect(ScenarioZone(apex: String(repeating: "x.", count: 120) + "test", presentEvery: 2) == nil)
        #expect(ScenarioZone(apex: "bench.test", presentEvery: -1) == nil)
        let none = ScenarioZone(apex: "bench.test", presentEvery: 0)
        #expect(none.map { (0..<5).filter($0.isPresent) } == [])
        let all = ScenarioZone(apex: "bench.test", presentEvery: 1)
        #expect(all.map { (0..<3).filter($0.isPresent) } == [0, 1, 2])
    }
}
