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
    typealias Harness = DaemonHarness

    /// How many connectors change while the disk is full.
    static let connectorCount = 12

    @Test func changesSeenOnAFullDiskAreHeldAcrossARestartAndDeliveredOnceWhenSpaceReturns() async throws {
        try await withDaemonHarness { h in
            _ = try await withPrivateTmpfs(in: h.directory) { disk in
                try await runScenario(h, disk)
            }
        }
    }

    private func runScenario(_ h: Harness, _ disk: PrivateTmpfs) async throws {
        let ids = (0..<Self.connectorCount).map { h.connector(.prod, "d\($0).example.com", "pending") }
        let flipped = Dictionary(
            uniqueKeysWithValues: ids.enumerated().map { ($1, $0 % 2 == 0 ? "verified" : "failed") })
        let port = try freeLoopbackPort()
        let config = try h.config()
            .daemon("state_file", disk.path("state.json"))
            .daemon("metrics_listen", "127.0.0.1:\(port)")
            .webhook("audit", type: "generic", url: h.url(Harness.genericPath), [("events", "all")])
            .write(to: h.directory)
        let run = ["run", "--config", config]

        // 1. The baseline, saved while there is room.
        try await disk.withSSOWatch(run, environment: h.environment()) { daemon in
            try await h.notify.waitForMessage(containing: "READY=1")
            try await h.waitForStatus(containing: "\(Self.connectorCount) connectors in 1 account: 12 pending")
            let baseline = try await waitForDiskStatus(disk, "the baseline of 12 connectors") {
                $0.connectors.count == Self.connectorCount
            }
            #expect(baseline.state?.lastSaved != nil && baseline.state?.lastError == nil, "\(baseline.text)")

            // 2. The disk fills up; all twelve connectors change at once.
            let filled = try disk.fill()
            let available = try disk.availableBytes()
            print("ENOSPC: filler took \(filled) bytes; \(available) bytes left; files: \(try disk.names())")
            #expect(available == 0, "the tmpfs is full")
            let seen = h.notify.received.count
            for id in ids { h.set(.prod, id, flipped[id]!) }
            let flippedAt = ContinuousClock.now

            // Not thrown at once, so a daemon that does not hold its notifications also fails the check below.
            let held =
                (try? await h.waitForStatus(containing: "12 notifications held", after: seen, timeout: .seconds(10)))
                ?? "(no STATUS= line naming 12 held notifications: \(h.notify.lines.suffix(3)))"
            print("ENOSPC: STATUS= after \(flippedAt.duration(to: .now)): \(held)")
            #expect(
                held.hasPrefix("STATUS=state not saved (12 notifications held): No space left on device"), "\(held)")
            #expect(held.contains("12 connectors in 1 account: 6 verified, 6 failed"), "\(held)")
            try await h.waitForMorePolls(.prod, count: 4)
            #expect(h.deliveries.value.isEmpty, "nothing is delivered while it cannot be saved")
            let status = try await waitForDiskStatus(disk, "state.last_error naming the full disk") {
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
        #expect(h.deliveries.value.isEmpty)

        let restartIndex = h.notify.received.count
        try await disk.withSSOWatch(run, environment: h.environment()) { daemon in
            try await h.notify.waitForMessage(containing: "READY=1", after: restartIndex)
            let held = try await h.waitForStatus(containing: "12 notifications held", after: restartIndex)
            print("ENOSPC: STATUS= after the restart: \(held)")
            try await h.waitForMorePolls(.prod, count: 4)
            #expect(h.deliveries.value.isEmpty, "still nothing delivered after the restart")
            #expect(!daemon.stderr.contains("corrupt"), "\(daemon.stderr.suffix(2000))")
            let restarted = try await waitForDiskStatus(disk, "state.last_error after the restart") {
                $0.state?.lastError?.contains("No space left on device") == true
            }
            print("ENOSPC: state.last_error after the restart: \(restarted.state?.lastError ?? "nil")")
            let names = try disk.names()
            let leftovers = names.filter { $0.contains(".tmp-") || $0.contains("corrupt") }
            #expect(leftovers.isEmpty, "no temporary or moved-aside files: \(names)")

            // 4. Space returns: each change is delivered once, with one webhook-id each.
            try disk.free()
            let freedAt = ContinuousClock.now
            let delivered = try await h.waitForDeliveries(
                to: Harness.genericPath, count: Self.connectorCount, successfulOnly: true, timeout: .seconds(45))
            print("ENOSPC: \(delivered.count) deliveries \(freedAt.duration(to: .now)) after the space returned")
            try await h.waitForMorePolls(.prod, count: 3)
            let all = h.received(Harness.genericPath)
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
            let recovered = try await waitForDiskStatus(disk, "state.last_error back to null") {
                $0.state?.lastError == nil && $0.outbox == 0
            }
            #expect(recovered.state?.lastSaved != nil)
            #expect(
                recovered.connectors.allSatisfy { $0.status == flipped[$0.id] },
                "the changes are saved: \(recovered.text)"
            )
            let cleared = try await h.waitForStatus(containing: "0 notifications queued", after: restartIndex)
            #expect(!cleared.contains("state not saved"), "\(cleared)")

            // 5. And the daemon goes on as usual: one more change, one more delivery.
            h.set(.prod, ids[0], "failed")
            let more = try await h.waitForDeliveries(
                to: Harness.genericPath, count: Self.connectorCount + 1, successfulOnly: true)
            let last = try GenericDelivery(more[Self.connectorCount])
            #expect(last.connectorID == ids[0] && last.status == "failed", "\(last)")
            #expect(last.webhookID.map { !webhookIDs.contains($0) } == true, "a new webhook-id: \(last)")
            try await h.waitForMorePolls(.prod, count: 2)
            #expect(h.received(Harness.genericPath).count == Self.connectorCount + 1)

            daemon.signal(SIGTERM)
            let stopped = try await daemon.waitForExit(timeout: .seconds(20))
            #expect(stopped.status == 0, "\(stopped)")
        }
    }

    /// Runs `status --json` on the state file through `/proc/HOLDER/root` until `condition` holds.
    private func waitForDiskStatus(
        _ disk: PrivateTmpfs, _ what: String, timeout: Duration = .seconds(20),
        until condition: (StatusOutput) -> Bool
    ) async throws -> StatusOutput {
        let deadline = ContinuousClock.now + timeout
        var last = "(nothing)"
        while ContinuousClock.now < deadline {
            let result = try await runSSOWatch(
                ["status", "--json", "--state-file", disk.outside("state.json")], timeout: .seconds(30))
            guard result.status == 0 else { throw HarnessError("`ssowatch status --json` failed: \(result)") }
            let output = try StatusOutput(parsing: result.stdout)
            if condition(output) { return output }
            last = output.text
            try await Task.sleep(for: .milliseconds(250))
        }
        throw HarnessError(
            "timed out after \(timeout) waiting for `status --json` to show \(what); last seen:\n\(last)")
    }
}
