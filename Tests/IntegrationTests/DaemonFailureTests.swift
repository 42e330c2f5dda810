import Foundation
import SSOWatchSimulator
import Testing

/// `ssowatch run` while the API misbehaves: a failed poll is an error, never a transition (docs/MONITORING.md);
/// the error shows in `STATUS=` and `status --json`, and the next good poll picks up where it left off.
@Suite struct DaemonFailureTests {
    typealias Harness = DaemonHarness

    /// One way for a poll to fail, and how `status --json` describes it.
    struct Outage: Sendable, CustomTestStringConvertible {
        var name: String
        var fault: Fault
        /// Text `last_error` contains.
        var errorMentions: String

        var testDescription: String { name }
    }

    static let outages = [
        Outage(name: "HTML 502 page", fault: .htmlError(502), errorMentions: "502"),
        Outage(name: "answer slower than request_timeout", fault: .slow(seconds: 3), errorMentions: "no response"),
        Outage(name: "malformed JSON body", fault: .malformedJSON, errorMentions: "HTTP 200"),
        Outage(
            name: "success: false", fault: .successFalse(code: 10000, message: "Authentication error"),
            errorMentions: "10000"),
        Outage(name: "connection dropped", fault: .dropConnection, errorMentions: "connection"),
        Outage(name: "429 with Retry-After", fault: .rateLimited(retryAfter: 1), errorMentions: "429"),
    ]

    @Test(arguments: outages)
    func aFailedPollChangesNothingAndRecoveryAnnouncesOnce(_ outage: Outage) async throws {
        try await withDaemonHarness { h in
            let connector = h.connector(.prod, "example.com", "pending")
            let config = try h.config()
                .webhook("audit", type: "generic", url: h.url(Harness.genericPath), [("events", "all")])
                .write(to: h.directory)

            try await h.withDaemon(configPath: config) { daemon in
                try await h.waitForStatus(containing: "1 connector in 1 account: 1 pending")
                h.simulator.injectFault(outage.fault, times: 10_000, accountID: TestAccount.prod.id)
                let failing = try await h.waitForStatus(containing: "1 account failing (prod: ")
                // The change Cloudflare makes during the outage must wait for a good answer.
                h.set(.prod, connector, "verified")
                let before = h.notify.received.count
                try await h.waitForMorePolls(.prod, count: 2)
                try await h.waitForStatus(containing: "1 account failing (prod: ", after: before)

                let during = try await h.waitForStatusJSON(configPath: config, "prod's last_error") {
                    $0.account("prod")?.lastError != nil
                }
                #expect(h.deliveries.value.isEmpty, "an error is never a transition")
                #expect(during.connector(connector)?.status == "pending", "\(during.text)")
                let lastError = try #require(during.account("prod")?.lastError)
                #expect(lastError.contains(outage.errorMentions), "\(lastError)")
                #expect(!lastError.contains("\n"))
                #expect(!lastError.contains(TestAccount.prod.token), "no secret in errors")
                #expect(!failing.contains(TestAccount.prod.token))
                #expect(during.account("prod")?.lastSuccess != nil)

                h.simulator.clearFaults()
                let deliveries = try await h.waitForDeliveries(to: Harness.genericPath, count: 1)
                let event = try GenericDelivery(deliveries[0])
                #expect(event.description == "connector.verified example.com pending→verified (prod)")
                try await h.waitForStatus(containing: "1 connector in 1 account: 1 verified; 0 notifications queued")
                try await h.waitForMorePolls(.prod, count: 3)
                #expect(h.deliveries.value.count == 1, "announced once: \(h.deliveries.value.map(\.bodyString))")

                let after = try await h.waitForStatusJSON(configPath: config, "no last_error") {
                    $0.account("prod")?.lastError == nil
                }
                #expect(after.connector(connector)?.status == "verified")
                #expect(daemon.isRunning)
            }
        }
    }

    @Test func oneFailingAccountDoesNotHoldUpTheOthers() async throws {
        try await withDaemonHarness { h in
            h.connector(.prod, "example.com", "pending")
            let labs = h.connector(.staging, "labs.example.net", "pending")
            let config = try h.config(accounts: [.prod, .staging])
                .webhook("audit", type: "generic", url: h.url(Harness.genericPath))
                .write(to: h.directory)
            h.simulator.injectFault(.htmlError(503), times: 10_000, accountID: TestAccount.prod.id)

            try await h.withDaemon(configPath: config) { _ in
                try await h.waitForStatus(containing: "1 connector in 2 accounts: 1 pending")
                try await h.waitForStatus(containing: "1 account failing (prod: ")
                h.set(.staging, labs, "verified")
                let delivered = try await h.waitForDeliveries(to: Harness.genericPath, count: 1)
                #expect(
                    try GenericDelivery(delivered[0]).description
                        == "connector.verified labs.example.net pending→verified (staging)")
            }
        }
    }
}
