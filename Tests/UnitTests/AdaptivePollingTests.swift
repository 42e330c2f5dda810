import Foundation
import Synchronization
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel
@testable import SSOWatchState

/// Adaptive polling (docs/MONITORING.md) on a `ManualClock`, at exact virtual times: an account with a
/// pending connector every `poll_interval`, a settled one every `settled_poll_interval`, the switch between
/// the two, `pollSoon`, and the token's budget with many accounts.
@Suite struct AdaptivePollingTests {
    typealias Rig = InProcessDaemon

    static let connector = VirtualTimeSchedulerTests.connector

    /// Virtual seconds since the clock's start at which each poll reached the transport, with its account id.
    final class Polls: Sendable {
        private let polls = Mutex<[(at: TimeInterval, account: String)]>([])
        let start: Date

        init(_ clock: ManualClock) { start = clock.now() }

        func record(_ clock: ManualClock, url: String) {
            let account = url.split(separator: "/").drop { $0 != "accounts" }.dropFirst().first.map(String.init) ?? ""
            polls.withLock { $0.append((clock.now().timeIntervalSince(start), account)) }
        }

        var count: Int { polls.withLock { $0.count } }

        /// The times of the polls of `account` (every account's when `nil`), rounded to milliseconds.
        func times(_ account: String? = nil) -> [TimeInterval] {
            polls.withLock { $0 }.filter { account == nil || $0.account == account }.map {
                ($0.at * 1000).rounded() / 1000
            }
        }

        func gaps(_ account: String? = nil) -> [TimeInterval] {
            let times = times(account)
            return zip(times.dropFirst(), times).map { (($0 - $1) * 1000).rounded() / 1000 }
        }
    }

    /// A transport whose `n`-th poll (from 0) of an account answers with `status(account, n)`, or with the
    /// HTTP status it returns as `"HTTP 503"`; webhooks get 200.
    static func transport(
        _ clock: ManualClock, _ polls: Polls, status: @escaping @Sendable (String, Int) -> String
    ) -> ScriptedTransport {
        ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            polls.record(clock, url: request.url)
            let account = request.url.split(separator: "/").drop { $0 != "accounts" }.dropFirst().first ?? ""
            let answer = status(String(account), earlier)
            if answer.hasPrefix("HTTP "), let code = Int(answer.dropFirst(5)) {
                return .answer(ScriptedTransport.status(code))
            }
            return .answer(ScriptedTransport.list([(Self.connector, "example.com", answer)]))
        }
    }

    /// The rig's configuration with `poll_interval = 1m` and `settled_poll_interval = 10m`, unless `daemon`
    /// sets them.
    static func lines(_ daemon: [String]) -> [String] {
        let keys = Set(daemon.compactMap { $0.split(separator: "=").first?.trimmingCharacters(in: .whitespaces) })
        let defaults = ["poll_interval = 1m", "settled_poll_interval = 10m"].filter {
            !keys.contains(String($0.prefix { $0 != " " }))
        }
        return Rig.lines(daemon: defaults + daemon)
    }

    @Test func pendingEveryPollIntervalSettledEverySettledIntervalAndTheSwitchBothWays() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let script = ["pending", "pending", "verified", "verified", "pending", "pending"]
        let transport = Self.transport(clock, polls) { _, n in script[min(n, script.count - 1)] }
        try await Rig.with(Self.lines([]), transport: transport, clock: clock) { rig in
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 6 }
            // Verified at 120 s: the next poll waits the settled interval; pending again at 1320 s: 1 min from then.
            #expect(polls.times() == [0, 60, 120, 720, 1320, 1380])
            #expect(rig.log.contains("every connector is settled: polling every 10m (settled_poll_interval)"))
            #expect(rig.log.contains("a connector is pending or its status unknown: polling every 1m (poll_interval)"))
        }
    }

    @Test func zeroPollsSettledAccountsAtPollInterval() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let transport = Self.transport(clock, polls) { _, _ in "verified" }
        try await Rig.with(Self.lines(["settled_poll_interval = 0"]), transport: transport, clock: clock) { rig in
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 4 }
            #expect(polls.gaps() == [60, 60, 60])
        }
    }

    @Test func anUnknownStatusKeepsTheAccountOnPollInterval() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let script = ["verified", "in_review", "verified", "awaiting", "failed"]
        let transport = Self.transport(clock, polls) { _, n in script[min(n, script.count - 1)] }
        try await Rig.with(Self.lines([]), transport: transport, clock: clock) { rig in
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 6 }
            #expect(polls.gaps() == [600, 60, 600, 600, 600], "awaiting and failed are settled too")
        }
    }

    @Test func afterARestartTheStoredConnectorsSetEachAccountsFirstPoll() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let (settledID, newID) = (String(repeating: "b", count: 32), String(repeating: "c", count: 32))
        func stored(_ id: String, _ name: String, _ status: VerificationStatus) -> AccountState {
            let connector = ConnectorState(
                id: Self.connector, emailDomain: "example.com", status: status, rawStatus: status.rawValue,
                statusSince: clock.now(), lastSeen: clock.now())
            return AccountState(
                accountID: id, name: name, baselineDone: true, lastPoll: clock.now(), lastSuccess: clock.now(),
                connectors: [Self.connector: connector])
        }
        // prod had a pending connector, settled only verified ones; the third account was never polled.
        let state = StateDocument(accounts: [
            Rig.accountID: stored(Rig.accountID, "prod", .pending), settledID: stored(settledID, "settled", .verified),
        ])
        let transport = Self.transport(clock, polls) { account, _ in account == settledID ? "verified" : "pending" }
        var lines = Self.lines([])
        for (name, id) in [("settled", settledID), ("new", newID)] {
            lines += ["[account \"\(name)\"]", "account_id = \(id)", "api_token = \(Rig.token)"]
        }
        try await Rig.with(lines, transport: transport, clock: clock, state: state) { rig in
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.times(settledID).count == 1 }
            // Account i of 3 first polls after i/3 of its interval: 1 min for prod and the new one, 10 for settled.
            #expect(polls.times(Rig.accountID).first == 0)
            #expect(polls.times(newID).first == 40)
            #expect(polls.times(settledID) == [200])
            let paces = rig.inspect { daemon in [Rig.accountID, settledID, newID].map { daemon.accounts[$0]?.pace } }
            #expect(paces == [.frequent, .settled, .frequent])
        }
    }

    @Test func aReloadThatChangesTheSettledIntervalReschedulesASettledAccount() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let transport = Self.transport(clock, polls) { _, _ in "verified" }
        try await Rig.with(Self.lines([]), transport: transport, clock: clock) { rig in
            try await rig.tick(clock)
            try await rig.tick(clock, by: 100)
            rig.reload(Self.lines(["settled_poll_interval = 20m"]))
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 3 }
            // Restaggered over the new interval (the only account polls at once), then every 20 minutes.
            #expect(polls.times() == [0, 100, 1300])
        }
    }

    @Test func pollSoonPollsASettledAccountTwoSecondsLaterThenItsScheduleResumes() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let transport = Self.transport(clock, polls) { _, _ in "verified" }
        try await Rig.with(Self.lines([]), transport: transport, clock: clock) { rig in
            try await rig.tick(clock)
            try await rig.tick(clock, by: 100)
            rig.inspect { $0.pollSoon(accountID: Rig.accountID, reason: "test") }
            rig.inspect { $0.pollSoon(accountID: Rig.accountID, reason: "the same round") }
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 3 }
            #expect(polls.times() == [0, 102, 702], "one poll for both calls, then every 10 minutes again")
            // An account that is not polled is ignored.
            rig.inspect { $0.pollSoon(accountID: String(repeating: "f", count: 32), reason: "unknown") }
        }
    }

    @Test func pollSoonDuringAPollWaitsForItThenPollsAgainSoon() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let gate = Gate()
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            polls.record(clock, url: request.url)
            let list = ScriptedTransport.list([(Self.connector, "example.com", "verified")])
            return earlier == 1 ? .hold(gate, then: list) : .answer(list)
        }
        try await Rig.with(Self.lines([]), transport: transport, clock: clock) { rig in
            try await rig.tick(clock)
            try await rig.tick(clock, by: 600)
            #expect(transport.heldCount == 1)
            rig.inspect { $0.pollSoon(accountID: Rig.accountID, reason: "test") }
            try await rig.tick(clock, by: 30)
            #expect(polls.count == 2, "never a second poll of the account while one is in flight")
            gate.open()
            try await rig.waitUntil("the held poll answered") { rig.inspect { $0.pollsInFlight } == 0 }
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 3 }
            #expect(polls.times() == [0, 600, 632])
        }
    }

    @Test func pollSoonLeavesAFailingAccountsBackoffAlone() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        let transport = Self.transport(clock, polls) { _, n in n == 0 ? "verified" : "HTTP 503" }
        try await Rig.with(Self.lines([]), transport: transport, clock: clock) { rig in
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 3 }
            #expect(polls.times() == [0, 600, 605])
            try await rig.tick(clock, by: 1)
            rig.inspect { $0.pollSoon(accountID: Rig.accountID, reason: "test") }
            try await VirtualTimeSchedulerTests.run(rig, clock) { polls.count == 5 }
            #expect(polls.times() == [0, 600, 605, 615, 635], "5 s doubling, capped at the settled interval")
        }
    }

    @Test func manyAccountsStayWithinTheBudgetAndPendingOnesGoFirst() async throws {
        let clock = ManualClock()
        let polls = Polls(clock)
        // 20 accounts on one token that allows 10 requests a minute: all pending would need 20, two pending
        // and 18 settled need 2 + 1.8.
        let ids = (0..<20).map { $0 == 0 ? Rig.accountID : String(format: "%032x", $0) }
        let pending = Set(ids.prefix(2))
        let transport = Self.transport(clock, polls) { account, _ in pending.contains(account) ? "pending" : "verified"
        }
        var lines = Self.lines(["rate_limit = 10/1m"])
        for id in ids.dropFirst() {
            lines += ["[account \"a\(id.suffix(2))\"]", "account_id = \(id)", "api_token = \(Rig.token)"]
        }
        try await Rig.with(lines, transport: transport, clock: clock) { rig in
            try await VirtualTimeSchedulerTests.run(rig, clock, limit: 5000) {
                clock.now().timeIntervalSince(polls.start) >= 3600
            }
            let all = polls.times()
            for (index, start) in all.enumerated() {
                let inWindow = all[index...].prefix { $0 < start + 60 }.count
                #expect(inWindow <= 10, "\(inWindow) polls in the minute from \(start) s")
            }
            // The first round (every account unknown, so due every minute) takes two minutes at 6 s apart;
            // from then on each pending account is polled every minute, give or take one spacing.
            for id in pending {
                let gaps = polls.gaps(id).dropFirst(2)
                #expect(!gaps.isEmpty && gaps.allSatisfy { $0 >= 60 && $0 <= 66 }, "\(id): \(gaps)")
            }
            for id in ids where !pending.contains(id) {
                let gaps = polls.gaps(id).dropFirst()
                // Its 10 minutes, plus the wait for its turn: a few spacings at most once the first round's crowd is
                // gone, never the pending ones' minute.
                #expect(gaps.count >= 4 && gaps.allSatisfy { $0 >= 600 && $0 <= 618 }, "\(id): \(gaps)")
            }
        }
    }
}
