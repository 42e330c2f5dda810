import Foundation
import SSOWatchSimulator
import Testing

/// docs/MONITORING.md: a poll that fails in any way is an error, never a transition. For every way the API can
/// misbehave, the real daemon keeps its state, tells nobody, says what is wrong (`STATUS=`,
/// `status --json`, the log) and recovers by itself, announcing once what changed meanwhile.
@Suite struct PollFaultTests {
    /// One way for a poll to fail and how the daemon should describe it.
    struct PollFault: Sendable, CustomTestStringConvertible {
        enum Trigger: Sendable {
            /// A simulator fault on every request until it is cleared.
            case fault(Fault)
            /// The token is revoked for the account (HTTP 403, Cloudflare error 10000).
            case revokedToken
        }

        var name: String
        var trigger: Trigger
        /// What `STATUS=` says after `prod: `.
        var shortReason: String
        /// What `last_error` and the log line say.
        var detail: String
        /// The level of the log line: `warning` for what retrying can fix, `error` for what needs a person.
        var level: String

        var testDescription: String { name }
    }

    static let faults = [
        PollFault(
            name: "HTTP 500", trigger: .fault(.httpStatus(500, body: "upstream exploded", contentType: "text/plain")),
            shortReason: "HTTP 500", detail: "HTTP 500", level: "warning"),
        PollFault(
            name: "HTML 502 page", trigger: .fault(.htmlError(502)), shortReason: "HTTP 502", detail: "HTTP 502",
            level: "warning"),
        PollFault(
            name: "429 rate limited", trigger: .fault(.rateLimited(retryAfter: 1)), shortReason: "HTTP 429",
            detail: "Cloudflare error 971", level: "warning"),
        PollFault(
            name: "slower than request_timeout", trigger: .fault(.slow(seconds: 1.6)),
            shortReason: "no response from 127.0.0.1 within 1s", detail: "no response from 127.0.0.1 within 1s",
            level: "warning"),
        PollFault(
            name: "head, then silence", trigger: .fault(.headThenSilence),
            shortReason: "no response from 127.0.0.1 within 1s", detail: "no response from 127.0.0.1 within 1s",
            level: "warning"),
        PollFault(
            name: "dropped connection", trigger: .fault(.dropConnection),
            shortReason: "connection to 127.0.0.1 failed", detail: "connection to 127.0.0.1 failed", level: "warning"),
        PollFault(
            name: "malformed JSON", trigger: .fault(.malformedJSON), shortReason: "HTTP 200: body is not JSON",
            detail: "body is not JSON", level: "warning"),
        PollFault(
            name: "success: false", trigger: .fault(.successFalse(code: 1000, message: "Internal error")),
            shortReason: "HTTP 200 with success: false", detail: "Cloudflare error 1000 Internal error",
            level: "error"),
        PollFault(
            name: "not an envelope", trigger: .fault(.notEnvelope),
            shortReason: "HTTP 200: body is not a Cloudflare envelope", detail: "body is not a Cloudflare envelope",
            level: "warning"),
        PollFault(
            name: "403 wrong token", trigger: .revokedToken, shortReason: "HTTP 403",
            detail: "Cloudflare error 10000 Authentication error — check the API token; it needs the "
                + "\"SSO Connector Read\" permission", level: "error"),
    ]

    static let account = TestAccount(name: "prod", id: TestAccount.prod.id, token: "cfut_pollfault_prod_5a6b7c")

    @Test(arguments: faults)
    func aFailedPollChangesNothingIsReportedAndRecoversAnnouncingOnce(_ fault: PollFault) async throws {
        try await withDaemonRig { rig in
            let account = Self.account
            rig.register([account])
            let changing = rig.simulator.addConnector(
                accountID: account.id, domain: "changing.example", status: "pending")
            let steady = rig.simulator.addConnector(accountID: account.id, domain: "steady.example", status: "verified")
            let path = try rig.auditedConfig(accounts: [account]).write(to: rig.directory)

            try await rig.withDaemon(path) { daemon in
                try await rig.waitForStatusLine("after the baseline") {
                    $0.hasPrefix("2 connectors in 1 account: 1 verified, 1 pending")
                }
                let beforeFault = rig.notify.received.count
                switch fault.trigger {
                case .fault(let injected): rig.simulator.injectFault(injected, times: 100_000, accountID: account.id)
                case .revokedToken: rig.simulator.removeToken(account.token, accountID: account.id)
                }

                // STATUS= names the account with a short reason; the counts are those known before.
                let failing = try await rig.waitForStatusLine("naming prod as failing", after: beforeFault) {
                    $0.contains("1 account failing (prod: ")
                }
                #expect(failing.contains("1 account failing (prod: \(fault.shortReason)"), "\(failing)")
                #expect(failing.hasPrefix("2 connectors in 1 account: 1 verified, 1 pending;"), "\(failing)")

                // Cloudflare changes a status while the polls fail.
                rig.simulator.setStatus(accountID: account.id, connectorID: changing, status: "verified")
                let pollsAtChange = rig.polls(of: account).count
                try await rig.waitForPolls(account, count: 2, after: pollsAtChange)

                let log = try await daemon.waitForOutput(containing: "poll failed", in: .stderr)
                let logLine = try #require(log.split(separator: "\n").first { $0.contains("poll failed") })
                #expect(logLine.contains("\(fault.level): poll failed"), "\(logLine)")
                #expect(logLine.contains(fault.detail), "\(logLine)")
                #expect(logLine.contains("account=prod"), "\(logLine)")

                let during = try await rig.waitForStatusJSON(configPath: path, "prod's last_error") {
                    $0.account("prod")?.lastError != nil
                }
                let lastError = try #require(during.account("prod")?.lastError)
                #expect(lastError.contains(fault.detail), "\(lastError)")
                #expect(!lastError.contains("\n"))
                #expect(during.statuses == [changing: "pending", steady: "verified"], "a failed poll is no transition")
                #expect(during.outbox == 0)
                #expect(rig.deliveries.value.isEmpty, "nothing is announced while polls fail")
                #expect(!log.contains(account.token))

                // Recovery: the next good poll clears the error and announces the change once.
                let beforeRecovery = rig.notify.received.count
                switch fault.trigger {
                case .fault: rig.simulator.clearFaults()
                case .revokedToken: rig.simulator.addAccount(id: account.id, token: account.token)
                }
                let delivered = try await rig.waitForDeliveries(count: 1, timeout: .seconds(15))
                let body = delivered[0].jsonObject
                let data = body?["data"] as? [String: Any]
                #expect(body?["type"] as? String == "connector.verified")
                #expect((data?["connector"] as? [String: Any])?["id"] as? String == changing)
                #expect(data?["previous_status"] as? String == "pending")

                let healthy = try await rig.waitForStatusLine("without a failing account", after: beforeRecovery) {
                    !$0.contains("failing")
                }
                #expect(healthy.hasPrefix("2 connectors in 1 account: 2 verified;"), "\(healthy)")
                let after = try await rig.waitForStatusJSON(
                    configPath: path, "last_error cleared and the change recorded"
                ) {
                    $0.account("prod")?.lastError == nil && $0.statuses[changing] == "verified" && $0.outbox == 0
                }
                #expect(after.account("prod")?.lastSuccess != nil)
                try await daemon.waitForOutput(containing: "account recovered", in: .stderr)

                let pollsAfterRecovery = rig.polls(of: account).count
                try await rig.waitForPolls(account, count: 2, after: pollsAfterRecovery)
                #expect(
                    rig.deliveries.value.count == 1,
                    "announced once: \(rig.deliveries.value.map(\.bodyString))")
                #expect(daemon.isRunning)
            }
        }
    }

    @Test func unknownStatusesAndMissingFieldsAreNoErrorsAndNoEvents() async throws {
        try await withDaemonRig { rig in
            let account = Self.account
            rig.register([account])
            let odd = rig.simulator.addConnector(accountID: account.id, domain: "odd.example", status: "verified")
            let plain = rig.simulator.addConnector(accountID: account.id, domain: "plain.example", status: "pending")
            let path = try rig.auditedConfig(accounts: [account]).write(to: rig.directory)

            try await rig.withDaemon(path) { daemon in
                try await rig.waitForStatusLine("after the baseline") {
                    $0.hasPrefix("2 connectors in 1 account: 1 verified, 1 pending")
                }
                // A status Cloudflare may add one day.
                rig.simulator.setRawConnectorJSON(
                    accountID: account.id, connectorID: odd,
                    json: "{\"id\":\"\(odd)\",\"email_domain\":\"odd.example\",\"enabled\":false,"
                        + "\"verification\":{\"code\":\"cloudflare_dashboard_sso=\(odd)\",\"status\":\"quarantined\"}}")
                let unknown = try await rig.waitForStatusJSON(configPath: path, "the raw status") {
                    $0.statuses[odd] == "quarantined"
                }
                #expect(unknown.account("prod")?.lastError == nil)
                #expect(unknown.statuses[plain] == "pending")

                // Every field but the id missing: the last known details stay, the status is `unknown`.
                rig.simulator.setRawConnectorJSON(accountID: account.id, connectorID: odd, json: "{\"id\":\"\(odd)\"}")
                let missing = try await rig.waitForStatusJSON(configPath: path, "status unknown") {
                    $0.statuses[odd] == "unknown"
                }
                #expect(missing.account("prod")?.lastError == nil)
                #expect(missing.connectors.first { $0.id == odd }?.emailDomain == "odd.example")
                let line = try await rig.waitForStatusLine("counting the unknown status") {
                    $0.hasPrefix("2 connectors in 1 account: 1 pending, 1 unknown")
                }
                #expect(!line.contains("failing"), "\(line)")

                // Back to the status it had: verified → (unknown) → verified announces nothing.
                rig.simulator.setRawConnectorJSON(accountID: account.id, connectorID: odd, json: nil)
                let beforeRestore = rig.notify.received.count
                try await rig.waitForStatusLine("verified again", after: beforeRestore) {
                    $0.hasPrefix("2 connectors in 1 account: 1 verified, 1 pending;")
                }
                let polls = rig.polls(of: account).count
                try await rig.waitForPolls(account, count: 2, after: polls)
                #expect(rig.deliveries.value.isEmpty, "\(rig.deliveries.value.map(\.bodyString))")
                #expect(!daemon.stderr.contains("poll failed"), "\(daemon.stderr)")
                #expect(rig.apiRequests.value.allSatisfy { $0.responseStatus == 200 })
            }
        }
    }
}
