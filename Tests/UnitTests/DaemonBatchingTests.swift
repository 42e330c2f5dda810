import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchNotify
@testable import SSOWatchState

/// `Daemon.messageEntries`: which queued entries one message carries (docs/NOTIFICATIONS.md batching). More than
/// three events of one poll cycle (same account, same detection time) for a chat webhook go out as
/// one message; a `generic` webhook always gets one request per event.
@Suite struct DaemonBatchingTests {
    typealias F = MonitorFixtures

    private func entries(_ count: Int, at date: Date = F.t0, account: String = F.accountID, webhook: String = "chat")
        -> [OutboxEntry]
    {
        (0..<count).map { index in
            var event = F.event(.verified, connector: "c\(index)-\(Int(date.timeIntervalSince1970))", at: date)
            event.accountID = account
            return OutboxEntry(event: event, webhook: webhook, enqueuedAt: date)
        }
    }

    private func ids(_ entries: [OutboxEntry]) -> [String] { entries.map(\.event.id) }

    @Test(arguments: [WebhookType.slack, .discord, .teams, .googleChat, .mattermost, .rocketchat, .ntfy])
    func fourEventsOfOneCycleAreOneChatMessage(_ type: WebhookType) {
        let ready = entries(4)
        #expect(ids(Daemon.messageEntries(ready, type: type)) == ids(ready))
    }

    @Test func threeEventsOfOneCycleAreSentOneByOne() {
        let ready = entries(3)
        #expect(ids(Daemon.messageEntries(ready, type: .slack)) == [ready[0].event.id])
    }

    @Test func genericWebhooksAreNeverBatched() {
        let ready = entries(6)
        #expect(ids(Daemon.messageEntries(ready, type: .generic)) == [ready[0].event.id])
    }

    @Test func onlyTheHeadsCycleIsBatched() {
        let cycle = entries(5)
        let later = entries(2, at: F.at(60))
        #expect(ids(Daemon.messageEntries(cycle + later, type: .slack)) == ids(cycle))

        // A small cycle at the head goes alone, even when a large one follows it.
        let small = entries(2, at: F.at(-60))
        #expect(ids(Daemon.messageEntries(small + cycle, type: .slack)) == [small[0].event.id])
    }

    @Test func eventsOfDifferentAccountsAreDifferentCycles() {
        let prod = entries(2)
        let staging = entries(2, account: "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f")
        #expect(ids(Daemon.messageEntries(prod + staging, type: .slack)) == [prod[0].event.id])
    }

    @Test func nothingReadyIsNothingToSend() {
        #expect(Daemon.messageEntries([], type: .slack).isEmpty)
        #expect(Daemon.messageEntries([], type: .generic).isEmpty)
    }

    @Test func aBatchRendersAsOneChatRequestAndGenericAsOnePerEvent() {
        let events = entries(4).map(\.event)
        let slack = F.webhook("chat", type: .slack)
        let generic = F.webhook("audit", type: .generic)
        let chatRequests = Renderers.renderer(for: .slack).render(
            .events(events), context: RenderContext(webhook: slack, now: F.t0))
        #expect(chatRequests.count == 1)
        let genericRequests = Renderers.renderer(for: .generic).render(
            .events(events), context: RenderContext(webhook: generic, now: F.t0))
        #expect(genericRequests.count == 4)
    }
}
