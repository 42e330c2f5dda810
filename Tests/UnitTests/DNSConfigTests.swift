import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDNS

/// The `dns_*` keys of `[daemon]` (docs/CONFIGURATION.md): defaults, every form, and `PATH:LINE` errors.
@Suite struct DNSConfigTests {
    typealias F = ConfigFixture

    static func daemon(_ lines: [String]) -> [String] {
        ["[daemon]"] + lines + F.account + F.webhook()
    }

    @Test func defaults() throws {
        let dns = try F.parse(Self.daemon([])).daemon.dns
        #expect(dns == DNSCheckConfig())
        #expect(dns.enabled && dns.resolvers == .system && dns.query == .authoritative)
        #expect(dns.interval == 600 && dns.timeout == 3 && dns.port == 53)
    }

    @Test func everyKey() throws {
        let config = try F.parse(
            Self.daemon([
                "dns_check = off", "dns_resolvers = 192.0.2.53, 198.51.100.7:5353, [2001:db8::53]:53, 2001:db8::1",
                "dns_query = resolvers", "dns_check_interval = 2m", "dns_timeout = 1s", "dns_port = 5300",
            ]))
        let dns = config.daemon.dns
        #expect(!dns.enabled)
        #expect(dns.query == .resolvers && dns.interval == 120 && dns.timeout == 1 && dns.port == 5300)
        guard case .servers(let servers) = dns.resolvers else {
            Issue.record("resolvers: \(dns.resolvers)")
            return
        }
        #expect(
            servers.map(\.description) == [
                "192.0.2.53:53", "198.51.100.7:5353", "[2001:db8::53]:53", "[2001:db8::1]:53",
            ])
        #expect(config.warnings.isEmpty)
    }

    @Test func aShortIntervalWarns() throws {
        let config = try F.parse(Self.daemon(["dns_check_interval = 5s"]))
        #expect(config.daemon.dns.interval == 5)
        let warning = try #require(config.warnings.first)
        #expect(warning.line == 2)
        #expect(warning.message.hasPrefix("dns_check_interval 5s is below 1m"))
    }

    @Test(arguments: [
        ("dns_check = maybe", "dns_check: `maybe` is not a boolean"),
        ("dns_resolvers = ns1.example.net", "dns_resolvers: `ns1.example.net` is not an IP address"),
        ("dns_resolvers = 192.0.2.53,", "dns_resolvers has an empty entry"),
        ("dns_resolvers = 192.0.2.53:0", "dns_resolvers: `192.0.2.53:0` is not an IP address"),
        ("dns_resolvers = 2001:db8::53:53", ""),
        ("dns_resolvers = [2001:db8::53]:70000", "dns_resolvers: `[2001:db8::53]:70000` is not an IP address"),
        ("dns_resolvers = 192.0.2.300", "dns_resolvers: `192.0.2.300` is not an IP address"),
        ("dns_query = recursive", "dns_query: `recursive` is not authoritative or resolvers"),
        ("dns_check_interval = 0s", "dns_check_interval must be at least 1s"),
        ("dns_timeout = 2m", "dns_timeout must be between 1s and 1m"),
        ("dns_port = 0", "dns_port must be between 1 and 65535"),
    ])
    func badValuesNameTheirLine(line: String, message: String) throws {
        let lines = Self.daemon(["poll_interval = 5m", line])
        if message.isEmpty {
            // `2001:db8::53:53` is a valid IPv6 address (the last group is 53), not an address and a port.
            let dns = try F.parse(lines).daemon.dns
            #expect(dns.resolvers == .servers([try DNSServerAddress(host: "2001:db8::53:53", port: 53)]))
            return
        }
        let error = try #require(F.error(lines))
        #expect(error.line == 3, "\(error)")
        #expect(error.message.hasPrefix(message), "\(error)")
    }
}
