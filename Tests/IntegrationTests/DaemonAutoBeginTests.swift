import Foundation
import SSOWatchDNS
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `auto_begin_verification` in the running daemon against the simulated API and nameservers: a connector
/// whose record is present in two checks is re-verified once, with the write token, and announced once;
/// `dry-run` calls nothing; a 403 is shown and announced once; nothing for `pending`, `partial` or
/// `inconclusive`; the six-hour limit survives a restart.
@Suite struct DaemonAutoBeginTests {
    static let nameservers = ["ns1.example.test": "127.0.0.2", "ns2.example.test": "127.0.0.3"]
    static let writeToken = "cfut_write_token_for_prod_5e6f"
    static let domain = "sso.example.test"

    /// What a test works with.
    struct Assist {
        let rig: DaemonRig
        let dns: DNSSimulator
        /// The connectors the test asked for, by domain.
        let ids: [String: String]

        func code(_ domain: String = DaemonAutoBeginTests.domain) -> String {
            "cloudflare_dashboard_sso=" + (ids[domain] ?? "")
        }

        /// The `begin_verification` requests the simulator received.
        var calls: [RecordedRequest] {
            rig.apiRequests.value.filter { $0.path.hasSuffix("/begin_verification") }
        }

        /// The `verification_started` bodies the audit webhook received.
        var announcements: [String] { Self.announcements(in: rig.deliveries.value) }

        /// The `verification_started` bodies among `deliveries`.
        static func announcements(in deliveries: [RecordedRequest]) -> [String] {
            deliveries.map { String(decoding: $0.body, as: UTF8.self) }.filter {
                $0.contains("\"type\":\"connector.verification_started\"")
            }
        }

        /// Waits until the nameservers have answered `checks` more TXT queries for `domain` on ns1: as many
        /// more DNS checks of it.
        func waitForChecks(_ checks: Int, of domain: String = DaemonAutoBeginTests.domain) async throws {
            func count() -> Int {
                dns.queries.filter {
                    $0.question.type == .txt && $0.server == "127.0.0.2"
                        && $0.question.name.description.hasPrefix(domain)
                }.count
            }
            let before = count()
            try await waitUntil(
                "\(checks) more DNS checks of \(domain)", timeout: .seconds(40), every: .milliseconds(50)
            ) {
                count() >= before + checks
            }
        }
    }

    /// The simulator with `connectors` (domain → status) in `prod`, nameservers for `example.test`, the read
    /// token allowed to read only (so a call made with it would be refused), a write token, and the daemon
    /// checking DNS every second with `auto_begin_verification = mode`.
    static func withAssist(
        mode: String = "on", connectors: [(String, String)] = [(domain, "failed")], writeCanWrite: Bool = true,
        startDaemon: Bool = true, _ body: (Assist, SSOWatchProcess?) async throws -> Void
    ) async throws {
        let dns = try await DNSSimulator.start()
        dns.addZone("example.test", nameservers: nameservers)
        do {
            try await withDaemonRig { rig in
                var ids: [String: String] = [:]
                for (domain, status) in connectors { ids[domain] = rig.connector(.prod, domain, status) }
                rig.simulator.addAccount(id: TestAccount.prod.id, token: writeToken)
                rig.simulator.setReadOnly(TestAccount.prod.token)
                if !writeCanWrite { rig.simulator.setReadOnly(writeToken) }
                var settings: [ConfigFile.Setting] = [
                    ("dns_check", "on"), ("dns_resolvers", "127.0.0.1:\(dns.port)"), ("dns_port", "\(dns.port)"),
                    ("dns_timeout", "1s"), ("dns_check_interval", "1s"), ("auto_begin_verification", mode),
                ]
                if mode == "on" {
                    settings.append(("api_write_token_file", try rig.directory.write("write-token", writeToken + "\n")))
                }
                try rig.auditedConfig(settings).write(to: rig.directory)
                let assist = Assist(rig: rig, dns: dns, ids: ids)
                guard startDaemon else { return try await body(assist, nil) }
                try await rig.withDaemon(rig.configPath) { daemon in
                    try await rig.notify.waitForMessage(containing: "READY=1", timeout: .seconds(30))
                    try await body(assist, daemon)
                    #expect(!daemon.stderr.contains(writeToken), "the write token is never logged")
                    let status = try await rig.status()
                    #expect(!status.text.contains(writeToken), "nor shown by status")
                }
            }
            await dns.shutdown()
        } catch {
            await dns.shutdown()
            throw error
        }
    }

    @Test func aFailedConnectorWhoseRecordAppearsIsVerifiedAgainOnceWithTheWriteToken() async throws {
        try await Self.withAssist { assist, _ in
            let rig = assist.rig
            try await rig.waitForStatusJSON("a missing record", timeout: .seconds(30)) {
                $0.connectors.first?.dns?.result == "missing"
            }
            #expect(assist.calls.isEmpty, "no call while the record is missing")
            assist.dns.setTXT(Self.domain, [assist.code()])
            try await rig.waitForDeliveries("verification_started", timeout: .seconds(30)) {
                Assist.announcements(in: $0).count == 1
            }
            let calls = assist.calls
            try #require(calls.count == 1)
            #expect(calls[0].method == "POST")
            #expect(calls[0].header("Authorization") == "Bearer \(Self.writeToken)", "the call carries the write token")
            #expect(calls[0].responseStatus == 200)
            let reads = rig.apiRequests.value.filter { $0.method == "GET" }
            #expect(!reads.isEmpty)
            #expect(
                reads.allSatisfy { $0.header("Authorization") == "Bearer \(TestAccount.prod.token)" },
                "polling and the read-back use the read token")
            let body = assist.announcements[0]
            #expect(body.contains(#""assist":{"#), "\(body)")
            #expect(body.contains(#""mode":"on""#) && body.contains(#""outcome":"called""#), "\(body)")
            #expect(body.contains(#""http_status":200"#) && body.contains(#""read_back_status":"pending""#), "\(body)")
            #expect(body.contains(#""cloudflare_error":null"#), "\(body)")
            #expect(body.contains(#""status":"failed""#), "the status ssowatch acted on: \(body)")

            // The next polls see it pending: more checks, no second call or announcement.
            let pending = try await rig.waitForStatusJSON("the connector pending", timeout: .seconds(30)) {
                $0.connectors.first?.status == "pending"
            }
            #expect(pending.connectors.first?.autoBegin?.outcome == "called")
            #expect(pending.connectors.first?.autoBegin?.detail.contains("now pending") == true)
            try await assist.waitForChecks(3)
            #expect(assist.calls.count == 1)
            #expect(assist.announcements.count == 1)
        }
    }

    @Test func dryRunCallsNothingAndAnnouncesOnce() async throws {
        try await Self.withAssist(mode: "dry-run") { assist, _ in
            assist.dns.setTXT(Self.domain, [assist.code()])
            try await assist.rig.waitForDeliveries("would_call", timeout: .seconds(30)) {
                Assist.announcements(in: $0).count == 1
            }
            let body = assist.announcements[0]
            #expect(body.contains(#""mode":"dry-run""#) && body.contains(#""outcome":"would_call""#), "\(body)")
            #expect(body.contains(#""http_status":null"#), "\(body)")
            try await assist.waitForChecks(3)
            #expect(assist.calls.isEmpty, "dry-run sends nothing")
            #expect(assist.announcements.count == 1, "announced once per episode")
            let status = try await assist.rig.status()
            #expect(status.connectors.first?.autoBegin?.mode == "dry-run")
            #expect(status.connectors.first?.autoBegin?.outcome == "would_call")
        }
    }

    @Test func aRefusedWriteTokenIsShownAndAnnouncedOnce() async throws {
        try await Self.withAssist(writeCanWrite: false) { assist, _ in
            assist.dns.setTXT(Self.domain, [assist.code()])
            try await assist.rig.waitForDeliveries("refused", timeout: .seconds(30)) {
                Assist.announcements(in: $0).count == 1
            }
            let body = assist.announcements[0]
            #expect(body.contains(#""outcome":"refused""#) && body.contains(#""http_status":403"#), "\(body)")
            #expect(body.contains("10000 Authentication error"), "\(body)")
            let status = try await assist.rig.waitForStatusJSON("the refusal", timeout: .seconds(10)) {
                $0.connectors.first?.autoBegin?.outcome == "refused"
            }
            #expect(status.connectors.first?.autoBegin?.detail.contains("SSO Connector Write") == true)
            let text = try await runSSOWatch(["status", "--config", assist.rig.configPath], timeout: .seconds(30))
            #expect(text.stdout.contains("REFUSED"), "\(text.stdout)")
            try await assist.waitForChecks(3)
            #expect(assist.calls.count == 1, "one call per six hours")
            #expect(assist.announcements.count == 1, "announced once")
        }
    }

    @Test func nothingIsCalledForPendingConnectorsNorWhileTheRecordIsPartial() async throws {
        let partial = "partial.example.test"
        try await Self.withAssist(connectors: [(Self.domain, "pending"), (partial, "failed")]) { assist, _ in
            assist.dns.setTXT(Self.domain, [assist.code()])
            assist.dns.setTXT(partial, [assist.code(partial)], on: "ns1.example.test")
            try await assist.rig.waitForStatusJSON("present and partial", timeout: .seconds(30)) { status in
                Set(status.connectors.compactMap(\.dns?.result)) == ["present", "partial"]
            }
            try await assist.waitForChecks(4)
            try await assist.waitForChecks(4, of: partial)
            #expect(assist.calls.isEmpty)
            #expect(assist.announcements.isEmpty)
        }
    }

    @Test func nothingIsCalledWhileTheNameserversDoNotAnswer() async throws {
        try await Self.withAssist { assist, _ in
            assist.dns.setFault(.serverFailure, on: "ns1.example.test")
            assist.dns.setFault(.serverFailure, on: "ns2.example.test")
            assist.dns.setTXT(Self.domain, [assist.code()])
            try await assist.rig.waitForStatusJSON("an inconclusive check", timeout: .seconds(30)) {
                $0.connectors.first?.dns?.result == "inconclusive"
            }
            try await assist.waitForChecks(4)
            #expect(assist.calls.isEmpty, "never a call on an inconclusive check")
        }
    }

    @Test func theSixHourLimitHoldsAcrossARestart() async throws {
        try await Self.withAssist(startDaemon: false) { assist, _ in
            let rig = assist.rig
            assist.dns.setTXT(Self.domain, [assist.code()])
            try await rig.withDaemon(rig.configPath) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1", timeout: .seconds(30))
                try await rig.waitForDeliveries("the first call", timeout: .seconds(30)) {
                    Assist.announcements(in: $0).count == 1
                }
                // The daemon sees it pending, so the `failed` below is a new episode: only the six hours hold.
                try await rig.waitForStatusJSON("pending after the call", timeout: .seconds(30)) {
                    $0.connectors.first?.status == "pending"
                }
                daemon.signal(SIGTERM)
                _ = try await daemon.waitForExit(timeout: .seconds(20))
            }
            #expect(assist.calls.count == 1)
            // Cloudflare fails it again: a new episode, but within six hours of the call.
            rig.set(.prod, try #require(assist.ids[Self.domain]), "failed")
            try await rig.withDaemon(rig.configPath) { daemon in
                try await rig.waitForStatusJSON("failed again", timeout: .seconds(30)) {
                    $0.connectors.first?.status == "failed" && $0.connectors.first?.dns?.result == "present"
                }
                try await assist.waitForChecks(4)
                #expect(assist.calls.count == 1, "no second call within six hours, restart or not")
                #expect(assist.announcements.count == 1)
                #expect(!daemon.stderr.contains(Self.writeToken))
            }
            let state = try String(contentsOfFile: rig.statePath, encoding: .utf8)
            #expect(state.contains("\"last_call\":"), "the limit is in the state file")
            #expect(!state.contains(Self.writeToken), "the write token is not")
        }
    }
}

/// `check-config` for verification assistance, as a user runs it: `on` without a write token is refused at
/// its line with exit 78; a valid configuration shows each account's mode and the write token only by its
/// source.
@Suite struct AutoBeginCheckConfigTests {
    static let writeToken = "cfut_write_token_never_printed_7a8b"

    @Test func onWithoutAWriteTokenIsRefusedAtItsLine() async throws {
        try await withTemporaryDirectory { directory in
            let path = try directory.write(
                "ssowatch.ini",
                "[daemon]\nauto_begin_verification = on\n[account \"prod\"]\naccount_id = \(TestAccount.prod.id)\n")
            let result = try await runSSOWatch(
                ["check-config", "--config", path], environment: ["CLOUDFLARE_API_TOKEN": "cfut_read"])
            #expect(result.status == 78, "\(result)")
            #expect(
                result.stderr.contains(
                    "\(path):2: auto_begin_verification = on (from [daemon], for [account \"prod\"])"),
                "\(result)")
        }
    }

    @Test func theSummaryShowsEachAccountsModeAndNoToken() async throws {
        try await withTemporaryDirectory { directory in
            let tokenFile = try directory.write("write-token", Self.writeToken + "\n")
            let path = try directory.write(
                "ssowatch.ini",
                "[daemon]\napi_write_token_file = \(tokenFile)\n[account \"prod\"]\naccount_id = \(TestAccount.prod.id)\n"
                    + "auto_begin_verification = on\n[account \"lab\"]\naccount_id = \(TestAccount.staging.id)\n"
                    + "auto_begin_verification = dry-run\n")
            let result = try await runSSOWatch(
                ["check-config", "--config", path], environment: ["CLOUDFLARE_API_TOKEN": "cfut_read"])
            #expect(result.status == 0, "\(result)")
            let rows = result.stdout.split(separator: "\n")
            #expect(rows.contains { $0.contains("prod") && $0.contains("  on  ") }, "\(result.stdout)")
            #expect(rows.contains { $0.contains("lab") && $0.contains("dry-run") }, "\(result.stdout)")
            #expect(result.stdout.contains("default write token      api_write_token_file=\(tokenFile)"))
            #expect(!result.stdout.contains(Self.writeToken) && !result.stderr.contains(Self.writeToken))
        }
    }
}
