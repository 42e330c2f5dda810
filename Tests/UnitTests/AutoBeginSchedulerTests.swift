import Foundation
import Synchronization
import Testing

@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel
@testable import SSOWatchSimulator
@testable import SSOWatchState

/// `auto_begin_verification = on` in the scheduler at exact virtual times (a `ManualClock`), with real DNS
/// checks against the simulator's nameservers and Cloudflare answered by a scripted transport: the call
/// comes with the second `present` check, `dns_check_interval` after the first, carries the write token,
/// and the next call for the connector comes exactly six hours after the first, not before, although
/// Cloudflare failed it again meanwhile.
@Suite(.serialized) struct AutoBeginSchedulerTests {
    static let connectorID = "7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a"
    static let domain = "sso.example.test"
    static let writeToken = "cfut_in_process_write_token_9c0d"

    /// What Cloudflare says: the connector's status, which a `begin_verification` call turns `pending`.
    final class Cloudflare: Sendable {
        let status = Mutex("failed")
        /// When each API request arrived, on the test's clock.
        let arrivals = Mutex<[(method: String, url: String, at: Date)]>([])
        let clock: ManualClock?

        init(clock: ManualClock? = nil) { self.clock = clock }

        func answer(_ request: HTTPRequestSpec) -> ScriptedTransport.Step {
            let current = status.withLock { $0 }
            if let clock, request.url != InProcessDaemon.webhookURL {
                arrivals.withLock { $0.append((request.method, request.url, clock.now())) }
            }
            if request.url == InProcessDaemon.webhookURL { return .answer(ScriptedTransport.status(200)) }
            if request.url.hasSuffix("/begin_verification") {
                status.withLock { $0 = "pending" }
                return .answer(Self.envelope("null"))
            }
            if request.url.hasSuffix("/sso_connectors/\(AutoBeginSchedulerTests.connectorID)") {
                return .answer(
                    Self.envelope(
                        "{\"id\":\"\(AutoBeginSchedulerTests.connectorID)\",\"email_domain\":\"\(AutoBeginSchedulerTests.domain)\","
                            + "\"verification\":{\"status\":\"\(current)\"}}"))
            }
            return .answer(
                ScriptedTransport.list([(AutoBeginSchedulerTests.connectorID, AutoBeginSchedulerTests.domain, current)])
            )
        }

        static func envelope(_ result: String) -> ScriptedTransport.Answer {
            let body = "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":\(result)}"
            return .success(
                HTTPResponseSpec(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        }
    }

    /// Moves the clock from timer to timer up to `end`, letting each DNS check, call and delivery finish.
    static func run(_ rig: InProcessDaemon, _ clock: ManualClock, until end: Date) async throws {
        while let next = clock.nextDeadline, next <= end {
            try await rig.tickToNextTimer(clock)
            try await rig.waitUntil("DNS checks, calls and deliveries done") {
                rig.inspect {
                    $0.dnsTasks.isEmpty && $0.autoBeginRequestsInFlight == 0 && $0.deliveriesInFlight.isEmpty
                        && $0.pollsInFlight == 0
                }
            }
        }
        clock.advance(by: max(0, end.timeIntervalSince(clock.now())))
    }

    static func calls(_ transport: ScriptedTransport) -> [HTTPRequestSpec] {
        transport.requests.filter { $0.url.hasSuffix("/begin_verification") }
    }

    /// A daemon with `auto_begin_verification = on`, DNS checks every 10 minutes against the simulator's
    /// nameservers (the record published on both), Cloudflare answering the failed connector, and a manual clock.
    static func withAssistedDaemon(
        _ body: (InProcessDaemon, ScriptedTransport, Cloudflare, ManualClock, Date) async throws -> Void
    ) async throws {
        let dns = try await DNSSimulator.start()
        dns.addZone("example.test", nameservers: ["ns1.example.test": "127.0.0.2", "ns2.example.test": "127.0.0.3"])
        dns.setTXT(Self.domain, ["cloudflare_dashboard_sso=\(Self.connectorID)"])
        let cloudflare = Cloudflare()
        let transport = ScriptedTransport { request, _ in cloudflare.answer(request) }
        let clock = ManualClock()
        let start = clock.now()
        let lines = InProcessDaemon.lines(daemon: [
            "poll_interval = 1h", "dns_check = on", "dns_resolvers = 127.0.0.1:\(dns.port)", "dns_port = \(dns.port)",
            "dns_timeout = 1s", "dns_check_interval = 10m", "auto_begin_verification = on",
            "api_write_token = \(Self.writeToken)",
        ])
        do {
            try await InProcessDaemon.with(lines, transport: transport, clock: clock) { rig in
                try await body(rig, transport, cloudflare, clock, start)
            }
            await dns.shutdown()
        } catch {
            await dns.shutdown()
            throw error
        }
    }

    @Test func theCallComesWithTheSecondPresentCheckThenAPollSoonAndTheNextAfterSixHours() async throws {
        try await Self.withAssistedDaemon { rig, transport, cloudflare, clock, start in
            // The baseline poll at once, its first check present: one present is not enough.
            try await Self.run(rig, clock, until: start.addingTimeInterval(599))
            #expect(rig.account?.connectors[Self.connectorID]?.dns?.result == .present)
            #expect(Self.calls(transport).isEmpty, "no call after a single present check")

            try await Self.run(rig, clock, until: start.addingTimeInterval(600))
            let first = try #require(Self.calls(transport).first, "a call with the second check")
            #expect(first.method == "POST")
            #expect(
                first.headers.contains { $0.name == "Authorization" && $0.value == "Bearer \(Self.writeToken)" })
            let record = try #require(rig.account?.connectors[Self.connectorID]?.autoBegin)
            #expect(record.lastCall == start.addingTimeInterval(600), "exactly one interval after the first")
            #expect(record.latest?.outcome == .called)
            let reads = transport.requests.filter { $0.method == "GET" && $0.url.contains("/sso_connectors") }
            #expect(reads.count >= 2, "the baseline poll and the read-back")
            #expect(
                reads.allSatisfy {
                    $0.headers.contains {
                        $0.name == "Authorization" && $0.value == "Bearer \(InProcessDaemon.token)"
                    }
                }, "polls and the read-back use the read token")
            let announced = transport.deliveries.filter {
                String(decoding: $0.body ?? [], as: UTF8.self).contains("connector.verification_started")
            }
            #expect(announced.count == 1)
            // The account is polled again soon after the call, not an interval later.
            try await Self.run(rig, clock, until: start.addingTimeInterval(610))
            let pollsSoon = transport.requests.filter { $0.method == "GET" && $0.url.hasSuffix("/sso_connectors") }
            #expect(pollsSoon.count == 2, "the baseline poll and one poll within 10 s of the call")

            // The next polls see it pending, then failed again at 2 h: a new episode, within six hours.
            try await Self.run(rig, clock, until: start.addingTimeInterval(3600))
            #expect(rig.account?.connectors[Self.connectorID]?.status == .pending)
            cloudflare.status.withLock { $0 = "failed" }
            let sixHours = start.addingTimeInterval(600 + AutoBeginRecord.callSpacing)
            try await Self.run(rig, clock, until: sixHours.addingTimeInterval(-1))
            #expect(rig.account?.connectors[Self.connectorID]?.status == .failed)
            #expect(Self.calls(transport).count == 1, "no second call within six hours of the first")
            // The poll soon after the first call (at 602 s) shifted the checks by 2 s: the second call comes
            // with the first present check once the six hours have passed.
            try await Self.run(rig, clock, until: sixHours.addingTimeInterval(600))
            #expect(Self.calls(transport).count == 2, "the second call once six hours have passed")
            let second = try #require(rig.account?.connectors[Self.connectorID]?.autoBegin?.lastCall)
            #expect(second >= sixHours && second <= sixHours.addingTimeInterval(600))
        }
    }

    /// The call is remembered on disk before it is sent: while the state cannot be written nothing is sent and no
    /// six-hour limit starts; the first present check after writes succeed again calls.
    @Test func noCallWhileTheStateCannotBeWrittenThenTheNextPresentCheckCalls() async throws {
        try await Self.withAssistedDaemon { rig, transport, cloudflare, clock, start in
            try await Self.run(rig, clock, until: start.addingTimeInterval(599))
            rig.store.failAll(
                with: .writeFailed(path: "/unused/state.json", step: "writing", reason: "No space left on device"))
            try await Self.run(rig, clock, until: start.addingTimeInterval(600))
            #expect(Self.calls(transport).isEmpty, "no call that could not be remembered")
            #expect(rig.account?.connectors[Self.connectorID]?.autoBegin?.lastCall == nil, "no limit started")

            rig.store.failAll(with: nil)
            try await Self.run(rig, clock, until: start.addingTimeInterval(1200))
            #expect(Self.calls(transport).count == 1, "called with the next present check")
            let stored = rig.store.document?.accounts.values.first?.connectors[Self.connectorID]?.autoBegin
            #expect(stored?.lastCall != nil, "the call is in the stored state")
        }
    }

    @Test func theCallAndTheReadBackWaitForTheTokensBudget() async throws {
        let dns = try await DNSSimulator.start()
        dns.addZone("example.test", nameservers: ["ns1.example.test": "127.0.0.2", "ns2.example.test": "127.0.0.3"])
        dns.setTXT(Self.domain, ["cloudflare_dashboard_sso=\(Self.connectorID)"])
        let clock = ManualClock()
        let cloudflare = Cloudflare(clock: clock)
        let transport = ScriptedTransport { request, _ in cloudflare.answer(request) }
        let start = clock.now()
        // The write token is the read token, and polls fall on the same instants as the DNS checks: the call
        // and its read-back must each wait for the token's next slot, 60 s apart.
        let lines = InProcessDaemon.lines(daemon: [
            "poll_interval = 10m", "rate_limit = 10/10m", "dns_check = on", "dns_resolvers = 127.0.0.1:\(dns.port)",
            "dns_port = \(dns.port)", "dns_timeout = 1s", "dns_check_interval = 10m", "auto_begin_verification = on",
            "api_write_token = \(InProcessDaemon.token)",
        ])
        do {
            try await InProcessDaemon.with(lines, transport: transport, clock: clock) { rig in
                try await Self.run(rig, clock, until: start.addingTimeInterval(1200))
                let arrivals = cloudflare.arrivals.withLock { $0 }
                let offsets = arrivals.map { ($0.method, $0.at.timeIntervalSince(start)) }
                let call = try #require(arrivals.first { $0.url.hasSuffix("/begin_verification") })
                #expect(call.at == start.addingTimeInterval(660), "the poll at 600 s took the slot: \(offsets)")
                let readBack = try #require(arrivals.first { $0.url.hasSuffix("/sso_connectors/\(Self.connectorID)") })
                #expect(readBack.at == start.addingTimeInterval(720), "\(offsets)")
                for (earlier, later) in zip(arrivals, arrivals.dropFirst()) {
                    #expect(later.at.timeIntervalSince(earlier.at) >= 60, "spaced by the budget: \(offsets)")
                }
                #expect(rig.account?.connectors[Self.connectorID]?.autoBegin?.latest?.outcome == .called)
            }
            await dns.shutdown()
        } catch {
            await dns.shutdown()
            throw error
        }
    }
}
