import Foundation
import Testing

/// `ssowatch demo` (docs/COMMANDS.md (demo)): a newcomer sees connectors change and the notifications arrive within a
/// minute, with no account or network.
@Suite struct DemoCommandTests {
    @Test func theDemoShowsTransitionsAndNotificationsWithinAMinute() async throws {
        let start = ContinuousClock.now
        let result = try await runSSOWatch(["demo"], timeout: .seconds(75))
        let elapsed = ContinuousClock.now - start

        #expect(result.status == 0, "\(result)")
        #expect(elapsed < .seconds(60), "took \(elapsed)")
        let output = result.stdout
        #expect(output.contains("pending → verified"), "\(output)")
        #expect(output.contains("pending → failed"), "\(output)")
        #expect(output.contains("Slack webhook received:"), "\(output)")
        #expect(output.contains("generic webhook received: connector.verified example.com"), "\(output)")
        #expect(output.contains("generic webhook received: connector.failed shop.example.com"), "\(output)")
        #expect(output.contains("begin-verification"), "the failed notification says what to do: \(output)")
        #expect(output.contains("READY=1"), "\(output)")
        // The DNS story: the missing record seen within seconds, its publication, then Cloudflare's verdict.
        let missing = try #require(output.range(of: "generic webhook received: connector.dns_missing sso.example.com"))
        let published = try #require(output.range(of: "DNS (simulated): published TXT sso.example.com"))
        let found = try #require(output.range(of: "generic webhook received: connector.dns_found sso.example.com"))
        let verified = try #require(output.range(of: "generic webhook received: connector.verified sso.example.com"))
        #expect(missing.lowerBound < published.lowerBound && published.lowerBound < found.lowerBound)
        #expect(found.lowerBound < verified.lowerBound)
        #expect(output.components(separatedBy: "connector.dns_missing sso.example.com").count == 2, "once")
        #expect(output.contains("127.0.0.1"))
        #expect(output.contains("Done:"), "\(output)")
    }
}
