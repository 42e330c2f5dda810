import Foundation
import Testing

@testable import SSOWatchDaemon

/// When the daemon checks TXT records: first sight, status changes, the interval, the concurrency limit.
@Suite struct DNSCheckScheduleTests {
    typealias Schedule = DNSCheckSchedule
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func key(_ connector: String, _ account: String = "a") -> Schedule.Key {
        Schedule.Key(account: account, connector: connector)
    }

    @Test func newConnectorsAreDueAtOnceAndThenEveryInterval() {
        var schedule = Schedule()
        var ids = 0
        schedule.update(account: "a", watched: ["c1": false, "c2": false], now: Self.t0)
        let started = schedule.start(now: Self.t0) {
            ids += 1; return ids
        }
        #expect(started.map(\.key) == [Self.key("c1"), Self.key("c2")])
        #expect(schedule.nextDue == nil, "both running")
        let finished = schedule.finish(Self.key("c1"), id: 1, next: Self.t0 + 600)
        #expect(finished)
        #expect(schedule.nextDue == Self.t0 + 600)
        // A later poll without a change keeps the time; a change makes it due at once.
        schedule.update(account: "a", watched: ["c1": false, "c2": false], now: Self.t0 + 60)
        #expect(schedule.due[Self.key("c1")] == Self.t0 + 600)
        schedule.update(account: "a", watched: ["c1": true, "c2": false], now: Self.t0 + 120)
        #expect(schedule.due[Self.key("c1")] == Self.t0 + 120)
        let again = schedule.start(now: Self.t0 + 120) {
            ids += 1; return ids
        }
        #expect(again.map(\.key) == [Self.key("c1")])
    }

    @Test func aConnectorThatIsNoLongerWatchedIsForgottenAndItsAnswerIsStale() {
        var schedule = Schedule()
        schedule.update(account: "a", watched: ["c1": false], now: Self.t0)
        let started = schedule.start(now: Self.t0) { 7 }
        #expect(started.count == 1)
        schedule.update(account: "a", watched: [:], now: Self.t0 + 1)  // verified now
        let accepted = schedule.finish(Self.key("c1"), id: 7, next: Self.t0 + 600)
        #expect(!accepted)
        #expect(schedule.due.isEmpty && schedule.nextDue == nil)
    }

    @Test func otherAccountsAreUntouchedByAPollAndRemovedAccountsAreForgotten() {
        var schedule = Schedule()
        schedule.update(account: "a", watched: ["c1": false], now: Self.t0)
        schedule.update(account: "b", watched: ["c1": false], now: Self.t0)
        schedule.update(account: "a", watched: [:], now: Self.t0)
        #expect(schedule.due.keys.map(\.account) == ["b"])
        schedule.keep(accounts: ["a"])
        #expect(schedule.due.isEmpty)
    }

    @Test func atMostTheLimitRunAtOnceEarliestFirst() {
        var schedule = Schedule()
        let count = Schedule.concurrency + 5
        var watched: [String: Bool] = [:]
        for index in 0..<count { watched[String(format: "c%02d", index)] = false }
        schedule.update(account: "a", watched: watched, now: Self.t0)
        var ids = 0
        let first = schedule.start(now: Self.t0) {
            ids += 1; return ids
        }
        #expect(first.count == Schedule.concurrency)
        #expect(first.map(\.key.connector) == (0..<Schedule.concurrency).map { String(format: "c%02d", $0) })
        let none = schedule.start(now: Self.t0) {
            ids += 1; return ids
        }
        #expect(none.isEmpty, "no room")
        let done = schedule.finish(first[0].key, id: first[0].id, next: Self.t0 + 600)
        #expect(done)
        let next = schedule.start(now: Self.t0) {
            ids += 1; return ids
        }
        #expect(next.map(\.key.connector) == [String(format: "c%02d", Schedule.concurrency)])
    }
}
