import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ssowatch status` agrees with the running daemon: an account's `last_error`, a webhook's `failing`
/// and a connector's status, even an unknown one, reach `status --json` at most about a second after the
/// daemon saw them, not at the next routine flush of poll times (every 5 s).
///
/// Each test checks more than one change, each timed from something the test observes (a `STATUS=` line,
/// a poll, a webhook request): a change that waited for the flush would still meet one deadline now and
/// then, by luck, but hardly all of them.
@Suite struct StatusFreshnessTests {
    /// How long after the daemon saw a change `status --json` may still show the old value.
    static let budget: Duration = .milliseconds(1500)

    @Test func anAccountsLastErrorIsShownAsSoonAsItChangesAndClearedAsSoonAsItRecovers() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "one.example.com", "pending")
            let config = try rig.config().write(to: rig.directory)
            try await rig.withDaemon(config) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")
                _ = try await rig.waitForStatusJSON(configPath: config, "the baseline") { $0.connectors.count == 1 }

                for round in 1...2 {
                    let before = rig.notify.received.count
                    rig.simulator.injectFault(
                        .httpStatus(500, body: #"{"success":false,"errors":[{"code":10000,"message":"boom"}]}"#),
                        times: 1000, accountID: TestAccount.prod.id)
                    let failing = try await rig.waitForStatus(containing: "1 account failing (prod: ", after: before)
                    let failedAt = ContinuousClock.now
                    let shown = try await statusWithin(rig, config, of: failedAt, "prod's last_error") {
                        $0.account("prod")?.lastError?.contains("500") == true
                    }
                    print("round \(round): \(failing); status --json showed last_error after \(shown)")

                    let recovering = rig.notify.received.count
                    rig.simulator.clearFaults()
                    try await rig.waitForStatusLine("without a failing account", after: recovering) {
                        !$0.contains("failing")
                    }
                    let recoveredAt = ContinuousClock.now
                    let cleared = try await statusWithin(rig, config, of: recoveredAt, "prod's last_error back to null")
                    {
                        $0.account("prod")?.lastError == nil
                    }
                    print("round \(round): recovered; status --json showed last_error null after \(cleared)")
                }
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }
        }
    }

    @Test func aFailingWebhookIsShownFailingAsSoonAsAnAttemptFails() async throws {
        try await withDaemonRig { rig in
            let id = rig.connector(.prod, "one.example.com", "pending")
            let config = try rig.auditedConfig().write(to: rig.directory)
            try await rig.withDaemon(config) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")

                for (round, status) in ["verified", "failed"].enumerated() {
                    let seen = rig.deliveries.value.count
                    rig.receiver.setDefaultResponse(.init(status: 503, body: "down for maintenance"))
                    rig.set(.prod, id, status)
                    _ = try await rig.deliveries.wait(for: "a delivery attempt answered 503", timeout: .seconds(20)) {
                        $0.dropFirst(seen).contains { $0.responseStatus == 503 }
                    }
                    let refusedAt = ContinuousClock.now
                    let shown = try await statusWithin(rig, config, of: refusedAt, "webhook audit failing") { output in
                        guard let audit = try? output.webhook("audit") else { return false }
                        return audit.failing && audit.lastError?.contains("503") == true && audit.queued == 1
                    }
                    print("round \(round + 1): status --json showed the webhook failing \(shown) after the 503")

                    rig.receiver.setDefaultResponse(.init(status: 200, body: "ok"))
                    try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: round + 1, successfulOnly: true)
                    _ = try await statusWithin(rig, config, of: .now, "webhook audit no longer failing") { output in
                        guard let audit = try? output.webhook("audit") else { return false }
                        return !audit.failing && audit.queued == 0 && output.outbox == 0
                    }
                }
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }
        }
    }

    @Test func anUnknownStatusThatLastsTwoSecondsIsShownWhileItLasts() async throws {
        try await withDaemonRig { rig in
            let id = rig.connector(.prod, "odd.example.com", "pending")
            let config = try rig.config().write(to: rig.directory)
            try await rig.withDaemon(config) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")
                _ = try await rig.waitForStatusJSON(configPath: config, "the baseline") { $0.connectors.count == 1 }

                for (round, raw) in ["quarantined", "under_review"].enumerated() {
                    let polled = rig.pollCount(.prod)
                    rig.simulator.setRawConnectorJSON(
                        accountID: TestAccount.prod.id, connectorID: id,
                        json: """
                            {"id":"\(id)","email_domain":"odd.example.com","enabled":false,\
                            "use_fedramp_language":false,"created_on":"2025-01-01T12:21:02Z",\
                            "updated_on":"2025-01-01T12:21:02Z",\
                            "verification":{"code":"cloudflare_dashboard_sso=\(id)","status":"\(raw)"}}
                            """)
                    let changedAt = ContinuousClock.now
                    try await rig.waitForPolls(.prod, count: 1, after: polled)
                    let seenAt = ContinuousClock.now
                    let shown = try await statusWithin(rig, config, of: seenAt, "the connector \(raw)") {
                        $0.connector(id)?.status == raw
                    }
                    let lasted = changedAt.duration(to: .now)
                    print("round \(round + 1): \(raw) shown \(shown) after the poll that saw it")
                    #expect(lasted < .seconds(2), "shown while it lasted, not \(lasted) after the change")

                    // It lasts about two seconds, then the connector is pending again.
                    try await Task.sleep(until: changedAt + .seconds(2), clock: .continuous)
                    let restoring = rig.pollCount(.prod)
                    rig.simulator.setRawConnectorJSON(accountID: TestAccount.prod.id, connectorID: id, json: nil)
                    try await rig.waitForPolls(.prod, count: 1, after: restoring)
                    let restored = try await statusWithin(rig, config, of: .now, "the connector pending again") {
                        $0.connector(id)?.status == "pending"
                    }
                    print("round \(round + 1): pending again, shown \(restored) after the poll that saw it")
                }
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }
        }
    }

    /// Runs `status --json` until `condition` holds and returns how long after `start` that was (measured
    /// when the command that showed it ended). Records a failure, with the time it did take, when that is
    /// more than `budget`; throws when it never does within 10 s.
    private func statusWithin(
        _ rig: DaemonRig, _ config: String, of start: ContinuousClock.Instant, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation, until condition: (StatusOutput) -> Bool
    ) async throws -> Duration {
        let deadline = start + .seconds(10)
        var last = "(nothing)"
        while ContinuousClock.now < deadline {
            let output = try await rig.status(configPath: config)
            let elapsed = start.duration(to: .now)
            if condition(output) {
                #expect(
                    elapsed <= Self.budget, "`status --json` showed \(what) only \(elapsed) after the daemon saw it",
                    sourceLocation: sourceLocation)
                return elapsed
            }
            last = output.text
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("`status --json` never showed \(what) within 10 s; last seen:\n\(last)")
    }
}
