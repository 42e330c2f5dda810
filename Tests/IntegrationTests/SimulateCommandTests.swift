import Foundation
import Testing

/// `ssowatch simulate` (the benchmarks' simulator, hidden from `--help`): with `--dns-zone` it also serves
/// the connectors' domains over DNS, as `bench/dns_bench.py` uses it.
@Suite struct SimulateCommandTests {
    @Test func dnsZoneServesEveryNthRecordToDNSCheck() async throws {
        try await withTemporaryDirectory { directory in
            let arguments = [
                "simulate", "--accounts", "1", "--connectors", "5", "--dns-zone", "bench.test", "--dns-present-every",
                "2", "--max-seconds", "120",
            ]
            try await withSSOWatchProcess(arguments) { simulator in
                let line = try await simulator.waitForOutput(containing: "\n", in: .stdout)
                let ready = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                let port = try #require(ready["dns_port"] as? Int, "\(ready)")
                #expect(ready["dns_resolver"] as? String == "127.0.0.1:\(port)")
                #expect(ready["dns_nameservers"] as? [String] == ["127.0.0.2", "127.0.0.3"])
                #expect(ready["dns_zone"] as? String == "bench.test")
                #expect(ready["dns_records_present"] as? Int == 3 && ready["dns_records_missing"] as? Int == 2)
                let account = try #require((ready["accounts"] as? [[String: Any]])?.first, "\(ready)")
                let ids = try #require(account["connectors"] as? [String])
                let config = try ConfigFile(apiBaseURL: try #require(ready["base_url"] as? String))
                    .daemon("dns_resolvers", "127.0.0.1:\(port)").daemon("dns_port", "\(port)")
                    .daemon("dns_timeout", "2s")
                    .account("sim", id: try #require(account["id"] as? String), token: account["token"] as? String)
                    .write(to: directory)

                let result = try await runSSOWatch(["dns-check", "--json", "--config", config])

                #expect(result.status == 1, "two records missing: \(result)")
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
                let checked = try #require(object["checked"] as? [[String: Any]])
                let found = Dictionary(
                    checked.map {
                        ($0["connector"] as? String ?? "?", ($0["dns"] as? [String: Any])?["result"] as? String ?? "?")
                    }, uniquingKeysWith: { _, _ in "checked twice" })
                let expected = Dictionary(
                    uniqueKeysWithValues: ids.enumerated().map {
                        ($0.element, $0.offset % 2 == 0 ? "present" : "missing")
                    })
                #expect(found == expected, "\(result)")
                #expect(
                    Set(checked.compactMap { $0["domain"] as? String }) == Set((0..<5).map { "a0-c\($0).bench.test" }))
            }
        }
    }

    @Test func withoutDNSZoneNothingAboutDNSChangesAndTheDNSOptionsNeedIt() async throws {
        let plain = try await runSSOWatch([
            "simulate", "--accounts", "1", "--connectors", "1", "--max-seconds", "1",
        ])
        #expect(plain.status == 0, "\(plain)")
        let ready = try #require(
            try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any], "\(plain)")
        #expect(ready.keys.filter { $0.hasPrefix("dns") }.isEmpty, "\(ready)")
        #expect(ready["base_url"] is String)

        let alone = try await runSSOWatch(["simulate", "--dns-present-every", "2", "--max-seconds", "1"])
        #expect(alone.status == 64 && alone.stderr.contains("--dns-present-every needs --dns-zone"), "\(alone)")
        let badZone = try await runSSOWatch(["simulate", "--dns-zone", "bench..test", "--max-seconds", "1"])
        #expect(badZone.status == 64 && badZone.stderr.contains("--dns-zone must be a domain name"), "\(badZone)")
    }
}
