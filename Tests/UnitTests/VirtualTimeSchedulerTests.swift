import Foundation
import Synchronization
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchState

/// The scheduler's decisions on a `ManualClock`: backoff, budget spacing, 429 pauses, overdue work and
/// delivery order, at exact virtual times, each test in milliseconds.
@Suite struct VirtualTimeSchedulerTests {
    typealias Rig = InProcessDaemon

    static let connector = "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f"

    /// The virtual times at which the transport saw each poll.
    final class PollTimes: Sendable {
        private let times = Mutex<[Date]>([])
        var all: [Date] { times.withLock { $0 } }
        func record(_ date: Date) { times.withLock { $0.append(date) } }

        /// The gaps between consecutive polls, rounded to milliseconds.
        var gaps: [TimeInterval] {
            let all = self.all
            return zip(all.dropFirst(), all).map { (($0.timeIntervalSince($1)) * 1000).rounded() / 1000 }
        }
    }

    static func list(_ status: String) -> ScriptedTransport.Answer {
        ScriptedTransport.list([(connector, "example.com", status)])
    }

    /// Runs the scheduler to its next timer until `condition` holds (at most `limit` timers).
    static func run(
        _ rig: Rig, _ clock: ManualClock, limit: Int = 200, until condition: @Sendable () -> Bool
    ) async throws {
        try await rig.tick(clock)
        var timers = 0
        while !condition() {
            timers += 1
            try #require(timers <= limit, "the condition did not hold after \(limit) timers")
            try await rig.tickToNextTimer(clock)
        }
    }

    @Test func failedPollsBackOffFromFiveSecondsDoublingUpToTheInterval() async throws {
        let clock = ManualClock()
        let times = PollTimes()
        let transport = ScriptedTransport { request, _ in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            times.record(clock.now())
            return .answer(ScriptedTransport.status(503))
        }
        let lines = Rig.lines(daemon: ["poll_interval = 1m"])
        try await Rig.with(lines, transport: transport, clock: clock) { rig in
            try await Self.run(rig, clock) { times.all.count == 7 }
            #expect(times.gaps == [5, 10, 20, 40, 60, 60])
            #expect(rig.account?.consecutiveFailures == 7)
        }
    }

    @Test func accountsSharingATokenAreSpacedByItsRateLimit() async throws {
        let clock = ManualClock()
        let times = PollTimes()
        let transport = ScriptedTransport { request, _ in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            times.record(clock.now())
            return .answer(Self.list("pending"))
        }
        // Three accounts on one token, each due every second; the token allows 2 requests per 10 s.
        var lines = Rig.lines(daemon: ["poll_interval = 1s", "rate_limit = 2/10s"])
        for (name, id) in [
            ("b", "b" + String(repeating: "1", count: 31)), ("c", "c" + String(repeating: "2", count: 31)),
        ] {
            lines += ["[account \"\(name)\"]", "account_id = \(id)", "api_token = \(Rig.token)"]
        }
        try await Rig.with(lines, transport: transport, clock: clock) { rig in
            try await Self.run(rig, clock) { times.all.count == 7 }
            #expect(
                times.gaps == [5, 5, 5, 5, 5, 5], "5 s apart (10 s / 2), although each account is due every second")
        }
    }

    @Test func a429PausesTheTokenForItsRetryAfter() async throws {
        let clock = ManualClock()
        let times = PollTimes()
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            times.record(clock.now())
            guard earlier == 1 else { return .answer(Self.list("pending")) }
            let body = Array(#"{"success":false,"errors":[{"code":971,"message":"Please wait"}]}"#.utf8)
            return .answer(.success(HTTPResponseSpec(status: 429, headers: [("Retry-After", "90")], body: body)))
        }
        let lines = Rig.lines(daemon: ["poll_interval = 1s"])
        try await Rig.with(lines, transport: transport, clock: clock) { rig in
            try await Self.run(rig, clock) { times.all.count == 4 }
            #expect(times.gaps == [1, 90, 1], "the poll after the 429 waits for Retry-After, then the interval again")
            #expect(rig.account?.consecutiveFailures == 0)
        }
    }

    @Test func aPollWithNoAnswerIsOverdueAtItsTimeoutPlusTheMargin() async throws {
        let clock = ManualClock()
        let stuck = Gate()
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            return earlier == 0 ? .hold(stuck, then: Self.list("pending")) : .answer(Self.list("pending"))
        }
        let lines = Rig.lines(daemon: ["poll_interval = 10m", "request_timeout = 20s"])
        try await Rig.with(lines, transport: transport, clock: clock, overdueMargin: 5) { rig in
            try await rig.tick(clock)
            #expect(transport.polls.count == 1)
            try await rig.tick(clock, by: 24)
            #expect(rig.account?.overdue != true, "not overdue before 20 s + 5 s")
            try await rig.tick(clock, by: 1)
            #expect(rig.account?.overdue == true)
            #expect(rig.account?.lastError?.hasPrefix("poll overdue: no answer 25s after its request started") == true)
            // Retried with the failure backoff (5 s), although the stuck request never returns.
            try await rig.tick(clock, by: 5)
            #expect(transport.polls.count == 2, "\(rig.log.all.suffix(8))")
            #expect(rig.account?.overdue == false)
        }
        stuck.open()
    }

    @Test func deliveriesKeepTheirOrderAndAFailedOneHoldsBackTheRest() async throws {
        let clock = ManualClock()
        let deliveryTimes = PollTimes()
        let bodies = Mutex<[String]>([])
        let statuses = ["pending", "pending", "verified", "verified"]
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else {
                deliveryTimes.record(clock.now())
                bodies.withLock { $0.append(String(decoding: request.body ?? [], as: UTF8.self)) }
                // The first two attempts fail: 1 s then 2 s of backoff (no jitter in this rig).
                return .answer(ScriptedTransport.status(earlier < 2 ? 503 : 200))
            }
            let second = ("9e2c4b1a0f8d7e6c5b4a3928176e5d4c", "example.org", earlier < 2 ? "pending" : "failed")
            return .answer(
                ScriptedTransport.list([
                    (Self.connector, "example.com", statuses[min(earlier, statuses.count - 1)]), second,
                ]))
        }
        let lines = Rig.lines(daemon: ["poll_interval = 1m"])
        try await Rig.with(lines, transport: transport, clock: clock) { rig in
            // Poll 3 sees both transitions; the first message fails twice, then both go through.
            try await Self.run(rig, clock) { bodies.withLock { $0.count } == 4 }
            let types = bodies.withLock { $0 }.map { body in
                ["connector.verified", "connector.failed"].first { body.contains("\"\($0)\"") } ?? body
            }
            #expect(types[0] == types[1] && types[1] == types[2], "the first message is retried: \(types)")
            #expect(Set(types) == ["connector.verified", "connector.failed"], "\(types)")
            #expect(deliveryTimes.gaps == [1, 2, 0], "retried after 1 s, then 2 s; the next one at once")
            try await rig.tick(clock, by: 600)
            #expect(bodies.withLock { $0.count } == 4, "nothing is sent twice")
        }
    }
}
