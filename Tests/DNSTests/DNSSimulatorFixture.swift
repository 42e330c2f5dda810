import SSOWatchDNS
import SSOWatchSimulator

/// The zone most tests use: example.test on ns1 (127.0.0.2) and ns2 (127.0.0.3).
enum DNSFixture {
    static let code = "023e105f4ecef8ad9ca31a8372d0c353"
    static let expected = "cloudflare_dashboard_sso=\(code)"
    static let nameservers = ["ns1.example.test": "127.0.0.2", "ns2.example.test": "127.0.0.3"]

    /// A client with a deadline short enough for tests that expect a timeout, long enough for a loaded
    /// machine to answer the others.
    static func client(timeout: Duration = .seconds(1), udpAttempts: Int = 2) -> DNSClient {
        DNSClient(timeout: timeout, udpAttempts: udpAttempts)
    }

    /// A lookup through the simulator's resolver, asking its nameservers on its port.
    static func lookup(_ dns: DNSSimulator, client: DNSClient = client(), mode: DNSQueryMode = .authoritative)
        -> DNSTXTLookup
    {
        DNSTXTLookup(client: client, resolvers: [dns.resolver], nameserverPort: dns.port, mode: mode)
    }

    static func address(_ host: String, _ dns: DNSSimulator) throws -> DNSServerAddress {
        try DNSServerAddress(host: host, port: dns.port)
    }
}

/// Runs `body` with a started simulator serving example.test, and shuts it down afterwards.
func withDNSSimulator<T>(_ body: (DNSSimulator) async throws -> T) async throws -> T {
    let dns = try await DNSSimulator.start()
    dns.addZone("example.test", nameservers: DNSFixture.nameservers)
    do {
        let result = try await body(dns)
        await dns.shutdown()
        return result
    } catch {
        await dns.shutdown()
        throw error
    }
}
