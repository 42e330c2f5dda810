import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel

/// What a check says when it cannot even start: no resolvers to ask, or a domain DNS cannot look up.
/// Each is `inconclusive` with the reason, never a problem with the record (docs/DNS.md).
@Suite struct RecordCheckerTests {
    static let code = "cloudflare_dashboard_sso=023e105f4ecef8ad9ca31a8372d0c353"

    @Test func anUnreadableResolvConfIsInconclusiveAndSaysWhy() async throws {
        let checker = RecordChecker(config: DNSCheckConfig(), resolvConfPath: "/nonexistent/ssowatch/resolv.conf")
        let check = await checker.check(domain: "example.com", code: Self.code)
        #expect(check.result == .inconclusive)
        #expect(check.detail == "cannot read /nonexistent/ssowatch/resolv.conf: No such file or directory")
    }

    @Test func aResolvConfWithoutNameserversIsInconclusive() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resolv-\(UUID().uuidString)").path
        try "# no nameserver here\nsearch example.com\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let check = await RecordChecker(config: DNSCheckConfig(), resolvConfPath: path)
            .check(domain: "example.com", code: Self.code)
        #expect(check.result == .inconclusive)
        #expect(check.detail == "no nameserver in \(path)")
        #expect(check.nameservers.isEmpty && check.agreeing == 0)
    }

    @Test func aDomainDNSCannotLookUpIsInconclusive() async throws {
        let check = await RecordChecker(config: DNSCheckConfig(), resolvConfPath: "/nonexistent")
            .check(domain: "bad..example.com", code: Self.code)
        #expect(check.result == .inconclusive)
        #expect(check.detail.hasPrefix("bad..example.com is not a domain name DNS can look up"), "\(check.detail)")
    }
}
