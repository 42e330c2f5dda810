import Foundation
import SSOWatchSimulator
import Testing

/// `ssowatch run` while the API misbehaves: a failed poll is an error, never a transition (docs/MONITORING.md);
/// the error shows in `STATUS=` and `status --json`, and the next good poll picks up where it left off.
@Suite struct DaemonFailureTests {
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
        try await withDaemonRig { rig in
            let connector = rig.connector(.prod, "example.com", "pending")
            let config = try rig.auditedConfig().write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")
                rig.simulator.injectFault(outage.fault, times: 10_000, accountID: TestAccount.prod.id)
                let failing = try await rig.waitForStatus(containing: "1 account failing (prod: ")
                // The change Cloudflare makes during the outage must wait for a good answer.
                rig.set(.prod, connector, "verified")
                let before = rig.notify.received.count
                try await rig.waitForMorePolls(.prod, count: 2)
                try await rig.waitForStatus(containing: "1 account failing (prod: ", after: before)

                let during = try await rig.waitForStatusJSON(configPath: config, "prod's last_error") {
                    $0.account("prod")?.lastError != nil
                }
                #expect(rig.deliveries.value.isEmpty, "an error is never a transition")
                #expect(during.connector(connector)?.status == "pending", "\(during.text)")
                let lastError = try #require(during.account("prod")?.lastError)
                #expect(lastError.contains(outage.errorMentions), "\(lastError)")
                #expect(!lastError.contains("\n"))
                #expect(!lastError.contains(TestAccount.prod.token), "no secret in errors")
                #expect(!failing.contains(TestAccount.prod.token))
                #expect(during.account("prod")?.lastSuccess != nil)

                rig.simulator.clearFaults()
                let deliveries = try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 1)
                let event = try GenericDelivery(deliveries[0])
                #expect(event.description == "connector.verified example.com pending→verified (prod)")
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 verified; 0 notifications queued")
                try await rig.waitForMorePolls(.prod, count: 3)
                #expect(rig.deliveries.value.count == 1, "announced once: \(rig.deliveries.value.map(\.bodyString))")

                let after = try await rig.waitForStatusJSON(configPath: config, "no last_error") {
                    $0.account("prod")?.lastError == nil
                }
                #expect(after.connector(connector)?.status == "verified")
                #expect(daemon.isRunning)
            }
        }
    }

    @Test func oneFailingAccountDoesNotHoldUpTheOthers() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "example.com", "pending")
            let labs = rig.connector(.staging, "labs.example.net", "pending")
            let config = try rig.config(accounts: [.prod, .staging])
                .webhook("audit", type: "generic", url: rig.url(DaemonRig.genericPath))
                .write(to: rig.directory)
            rig.simulator.injectFault(.htmlError(503), times: 10_000, accountID: TestAccount.prod.id)

            try await rig.withDaemon(config) { _ in
                try await rig.waitForStatus(containing: "1 connector in 2 accounts: 1 pending")
                try await rig.waitForStatus(containing: "1 account failing (prod: ")
                rig.set(.staging, labs, "verified")
                let delivered = try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 1)
                #expect(
                    try GenericDelivery(delivered[0]).description
                        == "connector.verified labs.example.net pending→verified (staging)")
            }
        }
    }
}
