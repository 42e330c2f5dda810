import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The scheduler in this process, against a transport the test controls: stale answers, overdue
/// work and idle wake-ups, which a peer that keeps to its deadlines never shows.
@Suite struct DaemonSchedulerTests {
    typealias Rig = InProcessDaemon

    static let connector = "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f"

    /// A list with the one connector in `status`.
    static func list(_ status: String) -> ScriptedTransport.Answer {
        ScriptedTransport.list([(connector, "example.com", status)])
    }

    @Test func anAnswerFromBeforeADisableAndReEnableIsDiscarded() async throws {
        let stale = Gate()
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            switch earlier {
            case 0: return .answer(Self.list("pending"))  // the baseline
            case 1: return .hold(stale, then: Self.list("pending"))  // in flight across two reloads
            default: return .answer(Self.list("verified"))
            }
        }
        let enabled = Rig.lines()
        let disabled = Rig.lines(account: ["enabled = false"])
        try await Rig.with(enabled, transport: transport) { rig in
            try await rig.waitUntil("the second poll in flight") { transport.polls.count == 2 }
            rig.reload(disabled)
            rig.reload(enabled)
            try await rig.waitUntil("the newer poll's verified, delivered") {
                rig.account?.connectors[Self.connector]?.status == .verified && transport.deliveries.count == 1
            }
            stale.open()
            // The old answer (pending) arrives after the new one; later polls say verified.
            try await rig.waitUntil("two more polls") { transport.polls.count >= 5 }
            #expect(rig.account?.connectors[Self.connector]?.status == .verified)
            let history = rig.account?.connectors[Self.connector]?.history.map(\.to) ?? []
            #expect(history == [.pending, .verified], "the stale pending is never recorded: \(history)")
            #expect(rig.log.contains("discarding a poll answer from before a reload"))
            #expect(transport.deliveries.count == 1, "no pending event")
        }
    }

    @Test func aPollThatOutlivesItsBoundIsOverdueCancelledAndRetried() async throws {
        let stuck = Gate()
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            // The second poll never answers and ignores cancellation: a transport whose deadline failed.
            return earlier == 1 ? .hold(stuck, then: Self.list("failed")) : .answer(Self.list("pending"))
        }
        // One request slot: polls after the stuck one can only start if it no longer holds it.
        let lines = Rig.lines(daemon: ["max_concurrent_requests = 1"])
        try await Rig.with(lines, transport: transport, overdueMargin: 0.5) { rig in
            try await rig.waitUntil("the poll declared overdue") { rig.account?.overdue == true }
            let account = try #require(rig.account)
            let error = try #require(account.lastError)
            #expect(error.hasPrefix("poll overdue: no answer"), "\(error)")
            #expect(error.contains("request_timeout is 1s"), "\(error)")
            #expect(rig.log.contains("error: poll overdue"))
            #expect(rig.notifier.statusLines.contains { $0.contains("1 account failing (prod: poll overdue") })
            // Saved at once, so `status --json` shows it.
            #expect(rig.store.document?.accounts[Rig.accountID]?.overdue == true)
            let json = StatusReport.json(state: try #require(rig.store.document), configuration: nil, now: Date())
            #expect(json.contains("\"overdue\": true"), "\(json)")

            // Rescheduled: the next poll succeeds and clears it, although the stuck one never returned.
            try await rig.waitUntil("a later successful poll") {
                transport.polls.count >= 3 && rig.account?.overdue == false
            }
            #expect(rig.account?.lastError == nil)
            #expect(rig.store.document?.accounts[Rig.accountID]?.overdue == false)
            stuck.open()
            try await rig.waitUntil("the late answer discarded") {
                rig.log.contains("discarding the late answer of a poll declared overdue")
            }
            #expect(rig.account?.connectors[Self.connector]?.status == .pending, "the late `failed` is ignored")
        }
    }

    @Test func aDeliveryAttemptThatOutlivesItsBoundIsRetried() async throws {
        let stuck = Gate()
        // Verified only once the baseline is recorded: a loaded test run can make the first poll overdue too.
        let flipped = Gate()
        let transport = ScriptedTransport { request, earlier in
            if request.url.contains("/sso_connectors") {
                return .answer(Self.list(flipped.isOpen ? "verified" : "pending"))
            }
            return earlier == 0
                ? .hold(stuck, then: ScriptedTransport.status(200)) : .answer(ScriptedTransport.status(204))
        }
        try await Rig.with(Rig.lines(), transport: transport, overdueMargin: 0.5) { rig in
            try await rig.waitUntil("the baseline") { rig.account?.baselineDone == true }
            flipped.open()
            try await rig.waitUntil("the retry delivered") {
                transport.deliveries.count >= 2 && rig.inspect { $0.state.outbox.isEmpty }
            }
            #expect(rig.log.contains("error: delivery attempt overdue: no answer"))
            let ids = transport.deliveries.map { $0.header("webhook-id") }
            #expect(ids.count == 2 && ids[0] == ids[1], "the same event, retried: \(ids)")
            #expect(rig.inspect { $0.state.webhooks["audit"]?.failing } == false)
        }
    }

    @Test func aRetryInFlightDoesNotWakeTheScheduler() async throws {
        let slow = Gate()
        let transport = ScriptedTransport { request, earlier in
            if request.url.contains("/sso_connectors") {
                return .answer(Self.list(earlier == 0 ? "pending" : "verified"))
            }
            switch earlier {
            case 0: return .answer(ScriptedTransport.status(503))  // one failed attempt
            case 1: return .hold(slow, then: ScriptedTransport.status(204))  // the retry waits for its answer
            default: return .answer(ScriptedTransport.status(204))
            }
        }
        // A long overdue margin: the retry stays in flight for the whole measurement.
        try await Rig.with(Rig.lines(), transport: transport) { rig in
            try await rig.waitUntil("the retry in flight") { transport.deliveries.count == 2 }
            let before = rig.inspect { $0.deliveryTimerFirings }
            try await Task.sleep(for: .seconds(2))
            let during = rig.inspect { $0.deliveryTimerFirings } - before
            // Before the fix the timer re-armed at 0 s without end: hundreds of thousands of firings.
            #expect(during <= 1, "\(during) delivery timer firings while one retry was in flight")
            slow.open()
            try await rig.waitUntil("delivered") { rig.inspect { $0.state.outbox.isEmpty } }
        }
    }

    @Test func aReloadAppliesANewRateLimitAtOnce() async throws {
        let transport = ScriptedTransport { request, _ in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            return .answer(Self.list("pending"))
        }
        // One request an hour: after the baseline, the next poll would wait an hour under the old budget.
        let slow = Rig.lines(daemon: ["rate_limit = 1/1h"])
        try await Rig.with(slow, transport: transport) { rig in
            try await rig.waitUntil("the baseline") { rig.account?.baselineDone == true }
            #expect(transport.polls.count == 1)
            rig.reload(Rig.lines(daemon: ["rate_limit = 1000/5m"]))
            try await rig.waitUntil("polls at the new limit") { transport.polls.count >= 3 }
        }
    }

    @Test func aTruncatedListCountsNoConnectorAsMissing() async throws {
        let other = "9a7806061c88ada191ed06f989cc3dac"
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            if earlier == 0 {
                return .answer(
                    ScriptedTransport.list([
                        (Self.connector, "example.com", "pending"), (other, "other.example", "pending"),
                    ]))
            }
            // Cloudflare says there are two, returns one.
            return .answer(ScriptedTransport.list([(Self.connector, "example.com", "pending")], totalCount: 2))
        }
        try await Rig.with(Rig.lines(), transport: transport) { rig in
            try await rig.waitUntil("three truncated lists") { transport.polls.count >= 4 }
            try await rig.waitUntil("the last one recorded") { rig.inspect { $0.pollsInFlight } == 0 }
            let kept = try #require(rig.account?.connectors[other])
            #expect(kept.missingCount == 0)
            #expect(transport.deliveries.isEmpty, "no removed event")
            #expect(rig.log.contains("warning: Cloudflare reports 2 connectors but returned 1"))
        }
    }
}

/// Nothing is delivered before it is saved: the scheduler against a state store that fails its writes.
@Suite struct DaemonDurabilityTests {
    typealias Rig = InProcessDaemon

    @Test func eventsWhoseSaveFailedAreHeldUntilAWriteSucceeds() async throws {
        let transport = ScriptedTransport { request, earlier in
            if request.url.contains("/sso_connectors") {
                return .answer(DaemonSchedulerTests.list(earlier == 0 ? "pending" : "verified"))
            }
            return .answer(ScriptedTransport.status(204))
        }
        let rig = try Rig(Rig.lines(), transport: transport)
        rig.start()
        defer { transport.openAllGates() }
        do {
            try await rig.waitUntil("the baseline saved") { rig.store.document?.accounts[Rig.accountID] != nil }
            rig.store.failAll(
                with: .writeFailed(path: "/s/state.json", step: "writing", reason: "No space left on device (errno 28)")
            )
            try await rig.waitUntil("the change detected and held") {
                rig.inspect { $0.undurableEvents.count } == 1
            }
            // Several poll cycles and save retries later, still nothing delivered.
            try await rig.waitUntil("three more polls") { transport.polls.count >= 5 }
            #expect(transport.deliveries.isEmpty, "an event that is not saved is never delivered")
            #expect(
                rig.notifier.statusLines.contains {
                    $0.hasPrefix("state not saved (1 notification held): No space left on device (errno 28); ")
                })
            #expect(rig.store.health?.lastError?.contains("No space left on device") == true)
            #expect(rig.log.contains("error: cannot write the state file /s/state.json (writing)"))

            rig.store.failAll(with: nil)
            try await rig.waitUntil("the held event delivered once written") { transport.deliveries.count == 1 }
            let saved = try #require(rig.store.document)
            #expect(saved.accounts[Rig.accountID]?.connectors[DaemonSchedulerTests.connector]?.status == .verified)
            try await rig.waitUntil("the delivery recorded") { rig.store.document?.outbox.isEmpty == true }
            #expect(rig.store.health?.lastError == nil)
            #expect(rig.store.health?.lastSaved != nil)
            #expect(rig.log.contains("notice: the state file is written again"))
            try await Task.sleep(for: .milliseconds(300))
            #expect(transport.deliveries.count == 1, "delivered once")
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }
}
