import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ssowatch run` whose state directory fills up for real (`ENOSPC` on a small tmpfs, see `PrivateTmpfs`):
/// nothing is delivered before it is saved, the failure is shown in `STATUS=` and `status --json`, a
/// restart on the full disk loses nothing and corrupts nothing, and once space returns every change is
/// delivered exactly once without anyone's help.
@Suite struct StateDiskFullTests {
    /// How many connectors change while the disk is full.
    static let connectorCount = 12

    @Test func changesSeenOnAFullDiskAreHeldAcrossARestartAndDeliveredOnceWhenSpaceReturns() async throws {
        try await withDaemonRig { rig in
            _ = try await withPrivateTmpfs(in: rig.directory) { disk in
                try await runScenario(rig, disk)
            }
        }
    }

    private func runScenario(_ rig: DaemonRig, _ disk: PrivateTmpfs) async throws {
        let ids = (0..<Self.connectorCount).map { rig.connector(.prod, "d\($0).example.com", "pending") }
        let flipped = Dictionary(
            uniqueKeysWithValues: ids.enumerated().map { ($1, $0 % 2 == 0 ? "verified" : "failed") })
        let port = try freeLoopbackPort()
        let config = try rig.config()
            .daemon("state_file", disk.path("state.json"))
            .daemon("metrics_listen", "127.0.0.1:\(port)")
            .auditWebhook(url: rig.url(DaemonRig.genericPath))
            .write(to: rig.directory)
        let run = ["run", "--config", config]

        // 1. The baseline, saved while there is room.
        try await disk.withSSOWatch(run, environment: rig.environment()) { daemon in
            try await rig.notify.waitForMessage(containing: "READY=1")
            try await rig.waitForStatus(containing: "\(Self.connectorCount) connectors in 1 account: 12 pending")
            let baseline = try await rig.waitForStatusJSON(
                stateFile: disk.outside("state.json"), "the baseline of 12 connectors"
            ) {
                $0.connectors.count == Self.connectorCount
            }
            #expect(baseline.state?.lastSaved != nil && baseline.state?.lastError == nil, "\(baseline.text)")

            // 2. The disk fills up; all twelve connectors change at once.
            let filled = try disk.fill()
            let available = try disk.availableBytes()
            print("ENOSPC: filler took \(filled) bytes; \(available) bytes left; files: \(try disk.names())")
            #expect(available == 0, "the tmpfs is full")
            let seen = rig.notify.received.count
            for id in ids { rig.set(.prod, id, flipped[id]!) }
            let flippedAt = ContinuousClock.now

            // Not thrown at once, so a daemon that does not hold its notifications also fails the check below.
            let held =
                (try? await rig.waitForStatus(containing: "12 notifications held", after: seen, timeout: .seconds(10)))
                ?? "(no STATUS= line naming 12 held notifications: \(rig.notify.lines.suffix(3)))"
            print("ENOSPC: STATUS= after \(flippedAt.duration(to: .now)): \(held)")
            #expect(
                held.hasPrefix("STATUS=state not saved (12 notifications held): No space left on device"), "\(held)")
            #expect(held.contains("12 connectors in 1 account: 6 verified, 6 failed"), "\(held)")
            try await rig.waitForMorePolls(.prod, count: 4)
            #expect(rig.deliveries.value.isEmpty, "nothing is delivered while it cannot be saved")
            let status = try await rig.waitForStatusJSON(
                stateFile: disk.outside("state.json"), "state.last_error naming the full disk"
            ) {
                $0.state?.lastError?.contains("No space left on device") == true
            }
            print("ENOSPC: status --json state while full: \(status.state.map { "\($0)" } ?? "nil")")
            #expect(status.connectors.allSatisfy { $0.status == "pending" }, "only what was saved: \(status.text)")
            #expect(daemon.stderr.contains("No space left on device"), "logged: \(daemon.stderr.suffix(2000))")
            #expect(daemon.stderr.contains("notification(s) held until it is written"))
            let failures = "ssowatch_state_write_failures_total"
            let scraped = try await waitForSamples(port: port, "\(failures) above 0") {
                (Int($0[failures] ?? "") ?? 0) > 0
            }
            print("ENOSPC: \(failures) \(scraped[failures] ?? "?") while full")

            // 3. A restart on the full disk: the daemon stops cleanly, whatever it could not write.
            daemon.signal(SIGTERM)
            let stopped = try await daemon.waitForExit(timeout: .seconds(20))
            #expect(stopped.status == 0, "\(stopped)")
            #expect(
                stopped.stderr.contains("stopping with 12 notification(s) not saved"), "\(stopped.stderr.suffix(1500))")
            let lastLines = stopped.stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            print("ENOSPC: the first daemon stopped: \(lastLines)")
        }
        #expect(rig.deliveries.value.isEmpty)

        let restartIndex = rig.notify.received.count
        try await disk.withSSOWatch(run, environment: rig.environment()) { daemon in
            try await rig.notify.waitForMessage(containing: "READY=1", after: restartIndex)
            let held = try await rig.waitForStatus(containing: "12 notifications held", after: restartIndex)
            print("ENOSPC: STATUS= after the restart: \(held)")
            try await rig.waitForMorePolls(.prod, count: 4)
            #expect(rig.deliveries.value.isEmpty, "still nothing delivered after the restart")
            #expect(!daemon.stderr.contains("corrupt"), "\(daemon.stderr.suffix(2000))")
            let restarted = try await rig.waitForStatusJSON(
                stateFile: disk.outside("state.json"), "state.last_error after the restart"
            ) {
                $0.state?.lastError?.contains("No space left on device") == true
            }
            print("ENOSPC: state.last_error after the restart: \(restarted.state?.lastError ?? "nil")")
            let names = try disk.names()
            let leftovers = names.filter { $0.contains(".tmp-") || $0.contains("corrupt") }
            #expect(leftovers.isEmpty, "no temporary or moved-aside files: \(names)")

            // 4. Space returns: each change is delivered once, with one webhook-id each.
            try disk.free()
            let freedAt = ContinuousClock.now
            let delivered = try await rig.waitForDeliveries(
                to: DaemonRig.genericPath, count: Self.connectorCount, successfulOnly: true, timeout: .seconds(45))
            print("ENOSPC: \(delivered.count) deliveries \(freedAt.duration(to: .now)) after the space returned")
            try await rig.waitForMorePolls(.prod, count: 3)
            let all = rig.received(DaemonRig.genericPath)
            #expect(all.count == Self.connectorCount, "no duplicates: \(all.map(\.bodyString))")
            let events = try all.map(GenericDelivery.init)
            let webhookIDs = events.compactMap(\.webhookID)
            print("ENOSPC: webhook-ids \(webhookIDs)")
            #expect(webhookIDs.count == Self.connectorCount && Set(webhookIDs).count == Self.connectorCount)
            #expect(Set(events.compactMap(\.connectorID)) == Set(ids), "one delivery per connector: \(events)")
            for event in events {
                #expect(event.status == event.connectorID.flatMap { flipped[$0] }, "\(event)")
                #expect(event.previousStatus == "pending", "\(event)")
            }
            let recovered = try await rig.waitForStatusJSON(
                stateFile: disk.outside("state.json"), "state.last_error back to null"
            ) {
                $0.state?.lastError == nil && $0.outbox == 0
            }
            #expect(recovered.state?.lastSaved != nil)
            #expect(
                recovered.connectors.allSatisfy { $0.status == flipped[$0.id] },
                "the changes are saved: \(recovered.text)"
            )
            let cleared = try await rig.waitForStatus(containing: "0 notifications queued", after: restartIndex)
            #expect(!cleared.contains("state not saved"), "\(cleared)")

            // 5. And the daemon goes on as usual: one more change, one more delivery.
            rig.set(.prod, ids[0], "failed")
            let more = try await rig.waitForDeliveries(
                to: DaemonRig.genericPath, count: Self.connectorCount + 1, successfulOnly: true)
            let last = try GenericDelivery(more[Self.connectorCount])
            #expect(last.connectorID == ids[0] && last.status == "failed", "\(last)")
            #expect(last.webhookID.map { !webhookIDs.contains($0) } == true, "a new webhook-id: \(last)")
            try await rig.waitForMorePolls(.prod, count: 2)
            #expect(rig.received(DaemonRig.genericPath).count == Self.connectorCount + 1)

            daemon.signal(SIGTERM)
            let stopped = try await daemon.waitForExit(timeout: .seconds(20))
            #expect(stopped.status == 0, "\(stopped)")
        }
    }
}
