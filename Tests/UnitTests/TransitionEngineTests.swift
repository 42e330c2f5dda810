import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

@Suite struct TransitionEngineTests {
    private let baselineList = [F.connector("a", "verified"), F.connector("b", "pending"), F.connector("c", "failed")]

    @Test func firstPollIsASilentBaseline() {
        let result = F.poll(nil, baselineList)
        #expect(result.events.isEmpty)
        #expect(result.warnings.isEmpty)
        #expect(result.state.baselineDone)
        #expect(result.state.lastSuccess == F.t0)
        #expect(result.state.lastPoll == F.t0)
        #expect(result.state.connectors.count == 3)
        let b = result.state.connectors["b"]
        #expect(b?.status == .pending)
        #expect(b?.statusSince == F.t0)
        #expect(b?.emailDomain == "b.example.com")
        #expect(b?.history == [TransitionRecord(at: F.t0, from: nil, to: .pending, eventID: nil)])
    }

    @Test func notifyOnFirstSeenAnnouncesVerifiedAndFailedAtBaseline() {
        let result = F.poll(nil, baselineList, notifyOnFirstSeen: true)
        #expect(result.events.map(\.kind) == [.verified, .failed])
        #expect(result.events.map(\.connectorID) == ["a", "c"])
        for event in result.events {
            #expect(event.previousStatus == nil)
            #expect(event.previousStatusSince == nil)
            #expect(event.detectedAt == F.t0)
            #expect(event.accountName == "prod")
            #expect(event.id.hasPrefix("evt_") && event.id.count == 36)
        }
        #expect(result.state.connectors["a"]?.history.first?.eventID == result.events[0].id)
    }

    @Test func aNewConnectorAfterTheBaselineAppears() {
        let baseline = F.poll(nil, baselineList).state
        let result = F.poll(baseline, baselineList + [F.connector("d", "pending")], at: F.at(60))
        #expect(result.events.count == 1)
        let event = result.events[0]
        #expect(event.kind == .appeared)
        #expect(event.connectorID == "d")
        #expect(event.status == "pending")
        #expect(event.previousStatus == nil)
        #expect(event.detectedAt == F.at(60))
        #expect(event.verificationCode == "cloudflare_dashboard_sso=d")
        #expect(result.state.connectors["d"]?.statusSince == F.at(60))
    }

    @Test func anAppearingVerifiedConnectorIsAlsoAnnouncedWithNotifyOnFirstSeen() {
        let baseline = F.poll(nil, baselineList).state
        let list = baselineList + [F.connector("d", "verified"), F.connector("e", "awaiting")]
        let quiet = F.poll(baseline, list, at: F.at(60))
        #expect(quiet.events.map(\.kind) == [.appeared, .appeared])
        let loud = F.poll(baseline, list, at: F.at(60), notifyOnFirstSeen: true)
        #expect(loud.events.map(\.kind) == [.appeared, .verified, .appeared])
        #expect(loud.events[1].previousStatus == nil)
    }

    @Test func anAppearingConnectorWithoutStatusShowsUnknown() {
        let baseline = F.poll(nil, baselineList).state
        let result = F.poll(baseline, baselineList + [F.connector("d", nil)], at: F.at(60), notifyOnFirstSeen: true)
        #expect(result.events.map(\.kind) == [.appeared])
        #expect(result.events[0].status == "unknown")
        #expect(result.state.connectors["d"]?.status == nil)
    }

    @Test(
        arguments: VerificationStatus.allCases.flatMap { from in
            VerificationStatus.allCases.filter { $0 != from }.map { (from, $0) }
        })
    func aKnownStatusChangeIsOneEventNamedAfterTheNewStatus(from: VerificationStatus, to: VerificationStatus) {
        let baseline = F.poll(nil, [F.connector("a", from.rawValue)]).state
        let result = F.poll(baseline, [F.connector("a", to.rawValue)], at: F.at(600))
        #expect(result.events.count == 1)
        let event = result.events[0]
        #expect(event.kind.rawValue == to.rawValue)
        #expect(event.status == to.rawValue)
        #expect(event.previousStatus == from)
        #expect(event.previousStatusSince == F.t0)
        #expect(event.detectedAt == F.at(600))
        let state = result.state.connectors["a"]
        #expect(state?.status == to)
        #expect(state?.statusSince == F.at(600))
        #expect(state?.history.last == TransitionRecord(at: F.at(600), from: from, to: to, eventID: event.id))
    }

    @Test func anUnchangedStatusIsNoEventButRefreshesLastSeen() {
        let baseline = F.poll(nil, baselineList).state
        let result = F.poll(baseline, baselineList, at: F.at(300))
        #expect(result.events.isEmpty)
        #expect(result.state.connectors["b"]?.lastSeen == F.at(300))
        #expect(result.state.connectors["b"]?.statusSince == F.t0)
    }

    @Test(arguments: [nil, "expired", "VERIFIED"] as [String?])
    func anUnknownStatusIsNeverAnEventAndNeverReplacesTheKnownOne(unknown: String?) {
        let baseline = F.poll(nil, [F.connector("a", "verified")]).state
        let blip = F.poll(baseline, [F.connector("a", unknown)], at: F.at(300))
        #expect(blip.events.isEmpty)
        #expect(blip.state.connectors["a"]?.status == .verified)
        #expect(blip.state.connectors["a"]?.rawStatus == unknown)
        #expect(blip.state.connectors["a"]?.displayStatus == unknown ?? "unknown")
        let back = F.poll(blip.state, [F.connector("a", "verified")], at: F.at(600))
        #expect(back.events.isEmpty)
        #expect(back.state.connectors["a"]?.statusSince == F.t0)
    }

    @Test func pendingThenUnknownThenVerifiedAnnouncesVerifiedFromPending() {
        let baseline = F.poll(nil, [F.connector("a", "pending")]).state
        let blip = F.poll(baseline, [F.connector("a", nil)], at: F.at(300))
        let result = F.poll(blip.state, [F.connector("a", "verified")], at: F.at(600))
        #expect(result.events.map(\.kind) == [.verified])
        #expect(result.events[0].previousStatus == .pending)
        #expect(result.events[0].previousStatusSince == F.t0)
    }

    @Test func theFirstKnownStatusOfATrackedConnectorIsAnnounced() {
        let baseline = F.poll(nil, [F.connector("a", nil)]).state
        let result = F.poll(baseline, [F.connector("a", "verified")], at: F.at(300))
        #expect(result.events.map(\.kind) == [.verified])
        #expect(result.events[0].previousStatus == nil)
        #expect(result.events[0].previousStatusSince == nil)
    }

    @Test func aConnectorMissingFromTwoConsecutiveListsIsRemoved() {
        let baseline = F.poll(nil, baselineList).state
        let once = F.poll(baseline, [baselineList[0], baselineList[2]], at: F.at(300))
        #expect(once.events.isEmpty)
        #expect(once.state.connectors["b"]?.missingCount == 1)
        #expect(once.state.connectors["b"]?.lastSeen == F.t0)
        let twice = F.poll(once.state, [baselineList[0], baselineList[2]], at: F.at(600))
        #expect(twice.events.count == 1)
        let event = twice.events[0]
        #expect(event.kind == .removed)
        #expect(event.connectorID == "b")
        #expect(event.status == "pending")
        #expect(event.previousStatus == nil)
        #expect(event.emailDomain == "b.example.com")
        #expect(twice.state.connectors["b"] == nil)
        #expect(twice.state.connectors.count == 2)
    }

    @Test func anIncompleteListMarksNoConnectorMissing() {
        let baseline = F.poll(nil, baselineList).state
        var state = baseline
        for round in 1...3 {
            let partial = TransitionEngine.apply(
                previous: state, connectors: [baselineList[0]], accountName: "prod", accountID: F.accountID,
                now: F.at(300 * Double(round)), notifyOnFirstSeen: false, stuckAfter: nil, listIsComplete: false)
            #expect(partial.events.isEmpty)
            state = partial.state
        }
        #expect(state.connectors.count == 3)
        #expect(state.connectors.values.allSatisfy { $0.missingCount == 0 })
        #expect(state.connectors["b"]?.lastSeen == F.t0, "not seen since the baseline")
    }

    @Test func oneEmptyAnswerNeverWipesAnAccount() {
        let baseline = F.poll(nil, baselineList).state
        let empty = F.poll(baseline, [], at: F.at(300))
        #expect(empty.events.isEmpty)
        #expect(empty.state.connectors.count == 3)
        let recovered = F.poll(empty.state, baselineList, at: F.at(600))
        #expect(recovered.events.isEmpty)
        #expect(recovered.state.connectors.values.allSatisfy { $0.missingCount == 0 })
        let emptyAgain = F.poll(recovered.state, [], at: F.at(900))
        #expect(emptyAgain.events.isEmpty)
        let gone = F.poll(emptyAgain.state, [], at: F.at(1200))
        #expect(gone.events.map(\.kind) == [.removed, .removed, .removed])
        #expect(gone.events.map(\.connectorID) == ["a", "b", "c"])
    }

    @Test func removedCarriesTheLastKnownStatusEvenAfterAnUnknownOne() {
        let baseline = F.poll(nil, [F.connector("a", "verified")]).state
        let blip = F.poll(baseline, [F.connector("a", nil)], at: F.at(300)).state
        let missing = F.poll(F.poll(blip, [], at: F.at(600)).state, [], at: F.at(900))
        #expect(missing.events.map(\.status) == ["verified"])
    }

    @Test func stuckIsAnnouncedOncePerEpisode() {
        let hour: TimeInterval = 3600
        var state = F.poll(nil, [F.connector("a", "pending")], stuckAfter: hour).state
        #expect(F.poll(state, [F.connector("a", "pending")], at: F.at(1800), stuckAfter: hour).events.isEmpty)

        let stuck = F.poll(state, [F.connector("a", "pending")], at: F.at(hour), stuckAfter: hour)
        #expect(stuck.events.map(\.kind) == [.stuck])
        #expect(stuck.events[0].status == "pending")
        #expect(stuck.events[0].previousStatus == nil)
        state = stuck.state
        #expect(state.connectors["a"]?.stuckNotified == true)
        #expect(F.poll(state, [F.connector("a", "pending")], at: F.at(2 * hour), stuckAfter: hour).events.isEmpty)

        // An unknown status does not end the episode.
        state = F.poll(state, [F.connector("a", nil)], at: F.at(3 * hour), stuckAfter: hour).state
        #expect(F.poll(state, [F.connector("a", "pending")], at: F.at(4 * hour), stuckAfter: hour).events.isEmpty)

        // A new known status starts a new episode.
        let awaiting = F.poll(state, [F.connector("a", "awaiting")], at: F.at(5 * hour), stuckAfter: hour)
        #expect(awaiting.events.map(\.kind) == [.awaiting])
        #expect(awaiting.state.connectors["a"]?.stuckNotified == false)
        let again = F.poll(awaiting.state, [F.connector("a", "awaiting")], at: F.at(6 * hour), stuckAfter: hour)
        #expect(again.events.map(\.kind) == [.stuck])
        #expect(again.events[0].status == "awaiting")
    }

    @Test func stuckNeverFiresWhenDisabledOrForSettledStatuses() {
        let state = F.poll(nil, [F.connector("a", "pending"), F.connector("b", "verified")]).state
        #expect(F.poll(state, [F.connector("a", "pending")], at: F.at(86_400 * 30), stuckAfter: nil).events.isEmpty)
        let settled = F.poll(state, [F.connector("b", "verified")], at: F.at(86_400 * 30), stuckAfter: 60)
        #expect(settled.events.isEmpty)
    }

    @Test func connectorsWithoutIDAreSkippedWithAWarning() {
        let result = F.poll(nil, [F.connector(nil, "verified", domain: "x.example"), F.connector("", "pending")])
        #expect(result.state.connectors.isEmpty)
        #expect(result.warnings.count == 2)
        #expect(result.warnings[0].contains("no id") && result.warnings[0].contains("x.example"))
    }

    @Test func duplicateIDsKeepTheFirstAndWarn() {
        let list = [F.connector("a", "pending"), F.connector("a", "verified")]
        let result = F.poll(nil, list)
        #expect(result.state.connectors["a"]?.status == .pending)
        #expect(result.warnings.count == 1)
        #expect(result.warnings[0].contains("more than once"))
    }

    @Test func detailsAreUpdatedAndKeptWhenAnAnswerLacksThem() {
        let baseline = F.poll(nil, [F.connector("a", "pending", enabled: false)]).state
        let changed = F.poll(
            baseline, [F.connector("a", "pending", domain: "new.example", enabled: true, code: "c2")], at: F.at(60))
        #expect(changed.state.connectors["a"]?.emailDomain == "new.example")
        #expect(changed.state.connectors["a"]?.enabled == true)
        #expect(changed.state.connectors["a"]?.verificationCode == "c2")
        let sparse = F.poll(changed.state, [Connector(id: "a", rawStatus: "pending")], at: F.at(120))
        #expect(sparse.state.connectors["a"]?.emailDomain == "new.example")
        #expect(sparse.state.connectors["a"]?.enabled == true)
        #expect(sparse.state.connectors["a"]?.verificationCode == "c2")
    }

    @Test func aFailedPollIsNeverATransition() {
        let baseline = F.poll(nil, baselineList).state
        let missingOnce = F.poll(baseline, [], at: F.at(300)).state
        let failed = TransitionEngine.recordFailure(previous: missingOnce, error: "HTTP 403\nforbidden", now: F.at(600))
        #expect(failed.connectors == missingOnce.connectors)
        #expect(failed.lastPoll == F.at(600))
        #expect(failed.lastSuccess == F.at(300))
        #expect(failed.lastError == "HTTP 403 forbidden")
        #expect(failed.consecutiveFailures == 1)
        let again = TransitionEngine.recordFailure(previous: failed, error: "timeout", now: F.at(900))
        #expect(again.consecutiveFailures == 2)
        let success = F.poll(again, baselineList, at: F.at(1200))
        #expect(success.events.isEmpty)
        #expect(success.state.lastError == nil)
        #expect(success.state.consecutiveFailures == 0)
    }

    @Test func failuresBeforeTheFirstSuccessKeepTheBaselineSilent() {
        let fresh = AccountState(accountID: F.accountID, name: "prod")
        let failed = TransitionEngine.recordFailure(previous: fresh, error: "HTTP 500", now: F.t0)
        #expect(!failed.baselineDone)
        #expect(F.poll(failed, baselineList, at: F.at(60)).events.isEmpty)
    }

    @Test func historyKeepsTheLatestTwentyTransitions() {
        var state = F.poll(nil, [F.connector("a", "pending")]).state
        for step in 1...30 {
            let status = step.isMultiple(of: 2) ? "pending" : "verified"
            state = F.poll(state, [F.connector("a", status)], at: F.at(Double(step))).state
        }
        let history = state.connectors["a"]?.history ?? []
        #expect(history.count == 20)
        #expect(history.last?.at == F.at(30))
        #expect(history.first?.at == F.at(11))
    }

    @Test func renamingTheAccountKeepsItsStateUnderTheNewName() {
        let baseline = F.poll(nil, [F.connector("a", "pending")]).state
        let result = F.poll(baseline, [F.connector("a", "verified")], at: F.at(60), name: "production")
        #expect(result.state.name == "production")
        #expect(result.events.first?.accountName == "production")
    }
}
