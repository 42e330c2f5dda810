import Foundation
import Testing

@testable import SSOWatchModel

/// The rules of `auto_begin_verification` for one connector (docs/CONFIGURATION.md), from literals: two
/// `present` checks at least `dns_check_interval` apart, only `awaiting`/`failed`, one accepted call per
/// episode, one call per six hours, each other outcome announced once per episode.
@Suite struct AutoBeginRecordTests {
    static let t0 = Date(timeIntervalSinceReferenceDate: 817_464_600)
    static let interval: TimeInterval = 600

    /// A connector `failed` since `t0`, with the record after `results` (each `interval` apart, from `t0`).
    struct Connector {
        var record = AutoBeginRecord()
        var status = VerificationStatus.failed
        var since = AutoBeginRecordTests.t0
        var mode = AutoBeginMode.on
        var clock = AutoBeginRecordTests.t0

        /// Records one check at `clock`, then moves the clock on by `interval`.
        mutating func check(_ result: DNSRecordCheck.Result, after: TimeInterval = interval) -> AutoBeginRecord.Action {
            let action = record.record(
                result, checked: clock, status: status, statusSince: since, mode: mode, interval: interval,
                now: clock)
            clock.addTimeInterval(after)
            return action
        }

        /// Records an attempt ending now; returns whether to announce it.
        mutating func finish(_ outcome: AutoBeginOutcome) -> Bool {
            if mode == .on { record.sending(at: clock) }
            return record.finish(AutoBeginAttempt(mode: mode, outcome: outcome, at: clock, detail: "d"))
        }
    }

    @Test func theSecondPresentCheckAnIntervalAfterTheFirstCalls() {
        var c = Connector()
        #expect(c.check(.present) == .none, "a single present is not enough")
        #expect(c.check(.present) == .call)
    }

    @Test func aSecondPresentCheckSoonerThanTheIntervalWaits() {
        var c = Connector()
        #expect(c.check(.present, after: Self.interval - 1) == .none)
        #expect(c.check(.present, after: 1) == .none, "only 599 s after the first")
        #expect(c.check(.present) == .call, "600 s after the first")
    }

    @Test(arguments: [DNSRecordCheck.Result.partial, .missing, .nearMiss])
    func aConclusiveCheckThatIsNotPresentStartsOver(_ result: DNSRecordCheck.Result) {
        var c = Connector()
        #expect(c.check(.present) == .none)
        #expect(c.check(result) == .none)
        #expect(c.check(.present) == .none, "the run starts again here")
        #expect(c.check(.present) == .call)
    }

    @Test func anInconclusiveCheckNeitherCountsNorBreaksTheRunAndNeverCalls() {
        var c = Connector()
        #expect(c.check(.present) == .none)
        #expect(c.check(.inconclusive) == .none, "never a call after an inconclusive check")
        #expect(c.check(.present) == .call, "present → inconclusive → present is two present checks")
        var d = Connector()
        #expect(d.check(.inconclusive) == .none)
        #expect(d.check(.present) == .none, "an inconclusive check does not count as present")
    }

    @Test(arguments: [VerificationStatus.pending, .verified])
    func pendingAndVerifiedConnectorsAreNeverCalled(_ status: VerificationStatus) {
        var c = Connector(status: status)
        for _ in 0..<5 { #expect(c.check(.present) == .none) }
    }

    @Test func awaitingIsCalledLikeFailed() {
        var c = Connector(status: .awaiting)
        _ = c.check(.present)
        #expect(c.check(.present) == .call)
    }

    @Test func offNeverActsAndDryRunAnnouncesOncePerEpisode() {
        var off = Connector(mode: .off)
        for _ in 0..<4 { #expect(off.check(.present) == .none) }
        var dry = Connector(mode: .dryRun)
        _ = dry.check(.present)
        #expect(dry.check(.present) == .announceWouldCall)
        let announced = dry.finish(.wouldCall)
        #expect(announced)
        #expect(dry.check(.present) == .none, "announced once")
        #expect(dry.record.lastCall == nil, "dry-run sends nothing, so the six-hour limit is untouched")
        // A new failed episode (status_since changed) announces again.
        dry.since = dry.clock
        _ = dry.check(.present)
        #expect(dry.check(.present) == .announceWouldCall)
    }

    @Test func anAcceptedCallEndsTheEpisodeAndSixHoursSeparateTwoCalls() {
        var c = Connector()
        _ = c.check(.present)
        #expect(c.check(.present) == .call)
        let accepted = c.finish(.called)
        #expect(accepted)
        #expect(c.check(.present) == .none, "accepted in this episode")
        // Cloudflare fails it again an hour later: a new episode, but the six hours are not over.
        c.status = .failed
        c.since = c.clock
        for _ in 0..<40 {
            let now = c.clock
            let action = c.check(.present)
            if now.timeIntervalSince(c.record.lastCall!) < AutoBeginRecord.callSpacing {
                #expect(action == .none, "\(now.timeIntervalSince(c.record.lastCall!)) s after the call")
            } else {
                #expect(action == .call)
                return
            }
        }
        Issue.record("no call after six hours")
    }

    @Test func aFailedCallIsTriedAgainSixHoursLaterAndAnnouncedOncePerEpisode() {
        var c = Connector()
        _ = c.check(.present)
        #expect(c.check(.present) == .call)
        let firstRefusal = c.finish(.refused)
        #expect(firstRefusal, "the first refusal is announced")
        let sent = c.record.lastCall!
        while c.clock.timeIntervalSince(sent) < AutoBeginRecord.callSpacing {
            #expect(c.check(.present) == .none)
        }
        #expect(c.check(.present) == .call, "six hours later")
        let secondRefusal = c.finish(.refused)
        #expect(!secondRefusal, "not announced again in the same episode")
        #expect(c.record.latest?.outcome == .refused)
        c.clock.addTimeInterval(AutoBeginRecord.callSpacing)
        #expect(c.check(.present) == .call)
        let error = c.finish(.error)
        #expect(error, "another kind of failure is announced once too")
        c.clock.addTimeInterval(AutoBeginRecord.callSpacing)
        #expect(c.check(.present) == .call)
        let called = c.finish(.called)
        #expect(called, "success is always announced")
    }

    @Test func aStatusChangeStartsANewEpisodeAndANewRun() {
        var c = Connector()
        _ = c.check(.present)
        c.status = .awaiting
        c.since = c.clock
        #expect(c.check(.present) == .none, "the run belongs to the old episode")
        #expect(c.check(.present) == .call)
    }
}
