import Foundation
import Synchronization
import SSOWatchTestSupport
import Testing

@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchState

/// The daemon as one instance of an active/passive pair (docs/HA.md), with a lease the test controls: a
/// standby makes no request and says who leads; a leader polls and delivers; a lost lease stops both at once.
@Suite struct DaemonLeadershipTests {
    typealias Rig = InProcessDaemon

    /// A lease whose role the test sets.
    final class ScriptedLease: LeadershipLease {
        private struct State {
            var onChange: (@Sendable (LeadershipRole) -> Void)?
            var held = false
            var resignations: [String] = []
            var stopped = false
        }

        private let state = Mutex(State())

        func start(onChange: @escaping @Sendable (LeadershipRole) -> Void) {
            state.withLock { $0.onChange = onChange }
        }

        var isHeld: Bool { state.withLock { $0.held } }

        func resign(reason: String) {
            state.withLock {
                $0.resignations.append(reason)
                $0.held = false
            }
        }

        func stop() { state.withLock { $0.stopped = true } }

        var resignations: [String] { state.withLock { $0.resignations } }
        var stopped: Bool { state.withLock { $0.stopped } }

        /// Reports `role`, as a campaign does: the lease is held from then on when it is `leader`, dropped
        /// before the report otherwise.
        func report(_ role: LeadershipRole) {
            let onChange = state.withLock { state in
                if case .leader = role { state.held = true } else { state.held = false }
                return state.onChange
            }
            onChange?(role)
        }
    }

    static let connector = "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f"

    /// Cloudflare lists the connector `pending` until `flipped` says otherwise, then `verified`; every webhook
    /// answers 200.
    static func transport(flipped: @escaping @Sendable () -> Bool) -> ScriptedTransport {
        ScriptedTransport { request, _ in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            let status = flipped() ? "verified" : "pending"
            return .answer(ScriptedTransport.list([(Self.connector, "example.com", status)]))
        }
    }

    @Test func aStandbyWaitsTheLeaderWorksAndALostLeaseStopsBoth() async throws {
        let flips = Mutex(0)
        let transport = Self.transport { flips.withLock { $0 } != 0 }
        let lease = ScriptedLease()
        try await Rig.with(Rig.lines(), transport: transport, lease: lease) { rig in
            try await rig.waitUntil("READY=1 as a standby") {
                rig.notifier.messages.contains { $0.hasPrefix("READY=1") && $0.contains("standby: connecting") }
            }
            lease.report(.standby(reason: "leader is host-b (pid 7)"))
            try await rig.waitUntil("the standby's STATUS=") {
                rig.notifier.messages.contains { $0.contains("STATUS=standby: leader is host-b (pid 7)") }
            }
            try await Task.sleep(for: .milliseconds(1500))
            #expect(transport.requests.isEmpty, "a standby sends nothing: \(transport.requests.map(\.url))")

            lease.report(.leader(epoch: 3))
            try await rig.waitUntil("the leader's baseline") { rig.account?.baselineDone == true }
            flips.withLock { $0 = 1 }
            try await rig.waitUntil("the leader's delivery") { transport.deliveries.count == 1 }
            #expect(rig.log.contains("this instance leads the pair now"))

            lease.report(.standby(reason: "lost the leadership (the database connection closed)"))
            try await rig.waitUntil("the standby's STATUS= again") {
                rig.notifier.messages.last?.contains("standby: lost the leadership") ?? false
            }
            let requests = transport.requests.count
            try await Task.sleep(for: .milliseconds(2500))
            #expect(transport.requests.count == requests, "no request after the lease was lost")
            #expect(rig.log.contains("no longer the leader"))
        }
        #expect(lease.stopped, "a stop releases the lease")
    }

    @Test func aRefusedWriteDeposesTheLeaderBeforeItDelivers() async throws {
        let flips = Mutex(0)
        let transport = Self.transport { flips.withLock { $0 } != 0 }
        let lease = ScriptedLease()
        try await Rig.with(Rig.lines(), transport: transport, lease: lease) { rig in
            try await rig.waitUntil("started") { lease.isHeld == false && rig.isRunning }
            lease.report(.leader(epoch: 3))
            try await rig.waitUntil("the leader's baseline") { rig.account?.baselineDone == true }
            // Another instance took over: the database refuses this one's writes from now on.
            rig.store.failAll(with: .deposed(database: "db.example.com:5432/ssowatch", epoch: 3, current: 4))
            flips.withLock { $0 = 1 }
            try await rig.waitUntil("the resignation") { !lease.resignations.isEmpty }
            try await Task.sleep(for: .milliseconds(1500))
            #expect(transport.deliveries.isEmpty, "nothing delivered that was not written")
            #expect(rig.log.contains("led in epoch 3, which has ended"))
            #expect(rig.notifier.messages.contains { $0.contains("STATUS=standby: another instance leads now") })
        }
    }

    @Test func aReloadKeepsTheDatabaseTheDaemonStartedWith() async throws {
        let transport = Self.transport { false }
        let lease = ScriptedLease()
        let url = { (database: String) in "ha_postgres_url = postgresql://ssowatch@db.example.test:5432/\(database)" }
        try await Rig.with(Rig.lines(daemon: [url("one")]), transport: transport, lease: lease) { rig in
            try await rig.waitUntil("started") { rig.isRunning }
            rig.reload(Rig.lines(daemon: [url("two"), "log_level = info"]))
            #expect(rig.log.contains("ha_postgres_url changed: it takes effect at the next start"))
            let kept = rig.inspect { ($0.configuration.daemon.haPostgres?.database, $0.configuration.daemon.logLevel) }
            #expect(kept.0 == "one", "the database the store and the lease use")
            #expect(kept.1 == .info, "the rest of the reload applies")
        }
    }

    @Test func theLeaderGaugeIsOneUnlessAStandby() {
        let metrics = SSOWatchMetrics()
        let leader = { prometheusSamples(metrics.render())["ssowatch_leader"].flatMap(Double.init) }
        #expect(leader() == 1, "an instance alone always leads")
        metrics.setLeader(false)
        #expect(leader() == 0)
        metrics.setLeader(true)
        #expect(leader() == 1)
    }
}
