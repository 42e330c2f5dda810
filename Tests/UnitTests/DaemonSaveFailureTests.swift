import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The daemon in this process when its state cannot be written: what it tells systemd, and what it holds.
@Suite struct DaemonSaveFailureTests {
    typealias Rig = InProcessDaemon

    static let connector = "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f"

    @Test func theStatusLineOfAFailedSaveCountsThePollWhoseChangesItHolds() async throws {
        try await withAChangeSeenAfterSavesStartFailing { rig, transport in
            try await rig.waitUntil("a STATUS= line naming the failed save") {
                rig.notifier.statusLines.contains { $0.hasPrefix("state not saved") }
            }
            let first = try #require(rig.notifier.statusLines.first { $0.hasPrefix("state not saved") })
            // Published from inside the poll, by the failed save: the counts must already include its change.
            #expect(
                first
                    == "state not saved (1 notification held): No space left on device; 1 connector in 1 account: "
                    + "1 verified; 1 notification queued",
                "\(rig.notifier.statusLines)")
            #expect(transport.deliveries.isEmpty, "nothing delivered before it is saved")
        }
    }

    @Test func aSaveThatFailsAtStopSaysNothingRetriesIt() async throws {
        try await withAChangeSeenAfterSavesStartFailing { rig, transport in
            try await rig.waitUntil("a change held") { rig.log.contains("1 notification(s) held until it is written") }
            await rig.stop()
            let last = rig.log.all.filter { $0.contains("No space left on device") }.last ?? "(none)"
            #expect(
                last.hasSuffix(
                    "stopping with 1 notification(s) not saved: the next start announces the changes that are still there"
                ), "not \"retrying in …\" when nothing will: \(last)")
            #expect(transport.deliveries.isEmpty)
        }
    }

    /// Runs `body` once the baseline (one pending connector) is saved, every later save fails (ENOSPC), and
    /// the poll that finds the connector verified has been answered. That poll waits for the failure to be
    /// in place, and has all the time it needs (no overdue margin to speak of), however slow the machine.
    private func withAChangeSeenAfterSavesStartFailing(
        _ body: (InProcessDaemon, ScriptedTransport) async throws -> Void
    ) async throws {
        let gate = Gate()
        let transport = ScriptedTransport { request, earlier in
            guard request.url.contains("/sso_connectors") else { return .answer(ScriptedTransport.status(200)) }
            let list = ScriptedTransport.list([(Self.connector, "example.com", "pending")])
            let changed = ScriptedTransport.list([(Self.connector, "example.com", "verified")])
            return earlier == 0 ? .answer(list) : earlier == 1 ? .hold(gate, then: changed) : .answer(changed)
        }
        try await Rig.with(Rig.lines(), transport: transport, overdueMargin: 60) { rig in
            try await rig.waitUntil("the baseline saved and the second poll in flight") {
                !rig.store.saves.isEmpty && transport.polls.count == 2
            }
            rig.store.failAll(
                with: .writeFailed(path: "/unused/state.json", step: "writing", reason: "No space left on device"))
            gate.open()
            try await body(rig, transport)
        }
    }
}
