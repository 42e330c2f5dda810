import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// Hostile and oversized input: every service's payload stays within its limits and is escaped.
@Suite struct NotifyLimitTests {
    static let chatTypes = WebhookType.allCases.filter { $0 != .generic }

    static let hostileDomains: [String] = [
        String(repeating: "a", count: 290) + ".example",  // 300 characters
        "<!channel> @everyone @here <@123456> *_~|` <script>alert(1)</script> &amp; <users/all>.example",
        "bücher.example",
        "😀👩‍👩‍👧‍👦🇩🇪.example",
        String(repeating: "&<>*_`@", count: 60),
        "line\r\nX-Injected: 1\u{0}.example",
        "",
    ]

    static let allKinds = EventKind.allCases

    @Test(arguments: chatTypes + [.generic], hostileDomains)
    func singleEventsStayWithinLimits(type: WebhookType, domain: String) throws {
        for kind in Self.allKinds {
            let event = NotifyFixtures.event(kind, domain: domain, account: "prod", code: NotifyFixtures.code)
            let requests = NotifyFixtures.render(type, .events([event]))
            #expect(requests.count == 1)
            for request in requests { try PayloadLimits.check(type, request) }
        }
    }

    @Test(arguments: chatTypes)
    func hugeValuesStayWithinLimits(type: WebhookType) throws {
        var event = NotifyFixtures.event(.failed, domain: String(repeating: "*", count: 5000))
        event.accountName = String(repeating: "@everyone", count: 500)
        event.connectorID = String(repeating: "<", count: 3000)
        event.verificationCode = String(repeating: "x", count: 20_000)
        event.status = String(repeating: "_", count: 2000)
        for message in [OutgoingMessage.events([event]), .test(webhook: "ops", message: event.connectorID, at: .now)] {
            for request in NotifyFixtures.render(type, message) { try PayloadLimits.check(type, request) }
        }
    }

    @Test(arguments: chatTypes)
    func fiveHundredConnectorsFitOneMessageEndingWithAndNMore(type: WebhookType) throws {
        let events = NotifyFixtures.batch(count: 500, failedEvery: 5) { "host-\($0).bücher.example" }
        let requests = NotifyFixtures.render(type, .events(events))
        try #require(requests.count == 1)
        try PayloadLimits.check(type, requests[0])
        #expect(requests[0].eventIDs.count == 500)
        let text = try Self.visibleText(type, requests[0])
        #expect(text.contains("500 SSO domain changes in account prod: 400 verified, 100 failed"))
        // The connectors shown plus "and N more" account for all 500.
        let shown = (0..<500).filter { text.contains("host-\($0).bücher.example") }.count
        let more = try #require(text.firstMatch(of: /and (\d+) more/)).1
        #expect(shown >= 15 && shown + Int(more)! == 500, "shown \(shown), more \(more)")
        // Failed ones come first and still show their TXT value.
        #expect(text.contains("host-4.bücher.example"))
        #expect(text.contains(NotifyFixtures.code))
    }

    @Test(arguments: chatTypes, hostileDomains)
    func batchesOfHostileDomainsStayWithinLimits(type: WebhookType, domain: String) throws {
        let events = NotifyFixtures.batch(count: 40, failedEvery: 2) { "\($0)\(domain)" }
        for request in NotifyFixtures.render(type, .events(events)) { try PayloadLimits.check(type, request) }
    }

    @Test(arguments: chatTypes)
    func upToThreeEventsAreSentSeparatelyFourAreBatched(type: WebhookType) {
        let three = NotifyFixtures.batch(count: 3, failedEvery: 2)
        #expect(NotifyFixtures.render(type, .events(three)).map(\.eventIDs) == three.map { [$0.id] })
        let four = NotifyFixtures.batch(count: 4, failedEvery: 2)
        #expect(NotifyFixtures.render(type, .events(four)).map(\.eventIDs) == [four.map(\.id)])
        #expect(NotifyFixtures.render(type, .events([])).isEmpty)
    }

    @Test func genericIsAlwaysOneRequestPerEvent() {
        let events = NotifyFixtures.batch(count: 500, failedEvery: 5)
        let requests = NotifyFixtures.render(.generic, .events(events))
        #expect(requests.map(\.eventIDs) == events.map { [$0.id] })
        #expect(requests.map { $0.header("webhook-id") } == events.map(\.id))
    }

    /// Every string a person could see in the message (all JSON strings and header values).
    static func visibleText(_ type: WebhookType, _ request: RenderedRequest) throws -> String {
        if type == .ntfy {
            let title = PayloadLimits.decodeRFC2047(request.header("Title") ?? "")
            return title + "\n" + String(decoding: request.body, as: UTF8.self)
        }
        return NotifyFixtures.strings(in: try NotifyFixtures.json(request)).joined(separator: "\n")
    }
}
