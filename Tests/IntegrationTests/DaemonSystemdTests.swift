import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `ssowatch run` tells systemd through `NOTIFY_SOCKET` (docs/SYSTEMD.md): `READY=1`, `STATUS=`,
/// `WATCHDOG=1`, reloads on SIGHUP and a clean stop on SIGTERM.
@Suite struct DaemonSystemdTests {
    /// `CLOCK_MONOTONIC` in microseconds, as systemd reads `MONOTONIC_USEC=`.
    private static func monotonicMicroseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000 + UInt64(spec.tv_nsec) / 1000
    }

    /// Starts `ssowatch run` through `/bin/sh`, which `exec`s it after setting `WATCHDOG_PID` to its
    /// own pid: the daemon then runs as that pid, as under systemd.
    private static func startWithWatchdogPID(_ rig: DaemonRig, config: String, watchdogUSec: Int) throws
        -> SSOWatchProcess
    {
        let binary = try SSOWatchExecutable.url().path
        let script = "WATCHDOG_PID=$$; export WATCHDOG_PID; exec \"$0\" run --config \"$1\""
        return try SSOWatchProcess.start(
            ["-c", script, binary, config], environment: rig.environment(["WATCHDOG_USEC": "\(watchdogUSec)"]),
            executable: URL(fileURLWithPath: "/bin/sh"))
    }

    @Test func readyStatusWatchdogAndACleanStop() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            rig.connector(.prod, "wait.example.com", "pending")
            rig.connector(.staging, "labs.example.net", "pending")
            let config = try rig.config(accounts: [.prod, .staging]).write(to: rig.directory)
            let daemon = try Self.startWithWatchdogPID(rig, config: config, watchdogUSec: 2_000_000)
            do {
                let ready = try await rig.notify.waitForMessage(containing: "READY=1")
                #expect(ready.contains("STATUS="), "READY=1 comes with a status: \(ready)")
                try await rig.waitForStatus(
                    containing: "STATUS=3 connectors in 2 accounts: 1 verified, 2 pending; 0 notifications queued")

                // Half of WATCHDOG_USEC (2 s): four more pings take about 4 s, not 8. Counted from the
                // pings already received, so pings that queued up while the test was busy do not count.
                let first = try await rig.notify.waitForMessage(containing: "WATCHDOG=1")
                #expect(first == "WATCHDOG=1")
                let already = rig.notify.received.count { $0.contains("WATCHDOG=1") }
                let start = ContinuousClock.now
                try await rig.waitForWatchdogPings(already + 4, timeout: .seconds(20))
                let elapsed = ContinuousClock.now - start
                #expect(elapsed > .seconds(2) && elapsed < .seconds(7), "four periods took \(elapsed)")

                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit(timeout: .seconds(15))
                #expect(result.status == 0, "\(result)")
                let stopping = try await rig.notify.waitForMessage(containing: "STOPPING=1", timeout: .seconds(5))
                #expect(!stopping.contains("READY=1"))
            } catch {
                _ = try? await daemon.killAndReap()
                throw error
            }

            let attributes = try FileManager.default.attributesOfItem(atPath: rig.statePath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "the state file is 0600")
            let status = try await rig.status(configPath: config)
            #expect(status.connectors.count == 3, "\(status.text)")
        }
    }

    @Test func sigtermAbandonsAHungPollWithinAFewSeconds() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            let config = try rig.config([("request_timeout", "1m")]).write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 verified")
                rig.simulator.injectFault(.slow(seconds: 30), times: 10_000, accountID: TestAccount.prod.id)
                // A poll that will hang for 30 s is in flight once the simulator has seen it.
                try await rig.waitForMorePolls(.prod, count: 1)
                let start = ContinuousClock.now
                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit(timeout: .seconds(15))
                let elapsed = ContinuousClock.now - start
                #expect(result.status == 0, "\(result)")
                #expect(elapsed < .seconds(8), "stopped after \(elapsed)")
                try await rig.notify.waitForMessage(containing: "STOPPING=1", timeout: .seconds(5))
            }
            let status = try await rig.status(configPath: config)
            #expect(status.connectors.count == 1, "the state was written: \(status.text)")
        }
    }

    @Test func noWatchdogPingsWhenWatchdogPIDNamesAnotherProcess() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            let config = try rig.config().write(to: rig.directory)
            // sd_watchdog_enabled ignores WATCHDOG_USEC meant for another pid (here, the test runner).
            try await rig.withDaemon(
                config, environment: ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "\(getpid())"]
            ) { _ in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForMorePolls(.prod, count: 2)
                #expect(!rig.notify.lines.contains("WATCHDOG=1"), "\(rig.notify.lines)")
            }
        }
    }

    @Test func sighupWithAValidConfigurationStartsPollingANewAccount() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            rig.connector(.staging, "labs.example.net", "pending")
            let config = try rig.config(accounts: [.prod]).write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 verified")
                #expect(rig.pollCount(.staging) == 0)

                try rig.config(accounts: [.prod, .staging]).write(to: rig.directory)
                let before = rig.notify.received.count
                let sent = Self.monotonicMicroseconds()
                daemon.signal(SIGHUP)
                let reloading = try await rig.notify.waitForMessage(containing: "RELOADING=1", after: before)
                let monotonic = reloading.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
                let usec = try #require(
                    monotonic.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) }, "\(reloading)")
                #expect(usec >= sent && usec < sent + 10_000_000, "CLOCK_MONOTONIC when the reload began")
                try await rig.notify.waitForMessage(containing: "READY=1", after: before)
                let messages = Array(rig.notify.received.dropFirst(before))
                let reloadIndex = try #require(messages.firstIndex { $0.contains("RELOADING=1") })
                let readyIndex = try #require(messages.firstIndex { $0.contains("READY=1") })
                #expect(reloadIndex < readyIndex, "RELOADING=1 then READY=1: \(messages)")

                try await rig.waitForPolls(.staging, count: 2, after: 0)
                try await rig.waitForStatus(
                    containing: "2 connectors in 2 accounts: 1 verified, 1 pending", after: before)
                #expect(!rig.notify.received.dropFirst(before).contains { $0.contains("reload failed") })
            }
        }
    }

    @Test func sighupRemovingAnAccountStopsPollingIt() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            rig.connector(.staging, "labs.example.net", "pending")
            let config = try rig.config(accounts: [.prod, .staging]).write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "2 connectors in 2 accounts: 1 verified, 1 pending")
                try rig.config(accounts: [.prod]).write(to: rig.directory)
                let before = rig.notify.received.count
                daemon.signal(SIGHUP)
                let ready = try await rig.notify.waitForMessage(containing: "READY=1", after: before)
                #expect(ready.contains("STATUS=1 connector in 1 account: 1 verified"), "\(ready)")
                // Whatever poll of staging was already in flight may still land; none starts after it.
                try await rig.waitForMorePolls(.prod, count: 1)
                let stagingPolls = rig.pollCount(.staging)
                try await rig.waitForMorePolls(.prod, count: 3)
                #expect(rig.pollCount(.staging) == stagingPolls, "staging is no longer polled")
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }
            let result = try await runSSOWatch(["status", "--json", "--state-file", rig.statePath])
            let status = try StatusOutput(parsing: result.stdout)
            #expect(status.accounts.map(\.name) == ["prod"], "the removed account's state is dropped: \(status.text)")
            #expect(status.connectors.map(\.account) == ["prod"])
        }
    }

    @Test func aPollInFlightWhenItsAccountIsRemovedLeavesNoTrace() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            let labs = rig.connector(.staging, "labs.example.net", "pending")
            let config = try rig.auditedConfig(accounts: [.prod, .staging], [("request_timeout", "10s")]).write(
                to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "2 connectors in 2 accounts: 1 verified, 1 pending")
                // staging's next answer (a transition) is held back until after the reload removed it.
                rig.simulator.injectFault(.slow(seconds: 2), times: 1, accountID: TestAccount.staging.id)
                rig.set(.staging, labs, "verified")
                try await rig.waitForMorePolls(.staging, count: 1)
                try rig.auditedConfig(accounts: [.prod], [("request_timeout", "10s")]).write(to: rig.directory)
                let before = rig.notify.received.count
                daemon.signal(SIGHUP)
                try await rig.notify.waitForMessage(containing: "READY=1", after: before)
                #expect(rig.simulator.pendingFaults == 0, "the slow answer was in flight during the reload")
                // The held answer (2 s) lands while prod is polled four more times (over 3 s).
                try await rig.waitForMorePolls(.prod, count: 4)
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }
            #expect(rig.deliveries.value.isEmpty, "no notification for an account no longer configured")
            let result = try await runSSOWatch(["status", "--json", "--state-file", rig.statePath])
            let status = try StatusOutput(parsing: result.stdout)
            #expect(status.accounts.map(\.name) == ["prod"], "\(status.text)")
        }
    }

    @Test func sighupWithAnInvalidConfigurationKeepsTheOldOneRunning() async throws {
        try await withDaemonRig { rig in
            let connector = rig.connector(.prod, "example.com", "pending")
            let good = rig.config()
                .webhook("audit", type: "generic", url: rig.url(DaemonRig.genericPath))
            let config = try good.write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")

                let broken = good.appending("frobnicate = 1")
                let text = try broken.render(secretsIn: rig.directory)
                let line =
                    text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0 == "frobnicate = 1" }!
                    + 1
                try broken.write(to: rig.directory)
                let before = rig.notify.received.count
                daemon.signal(SIGHUP)
                try await rig.notify.waitForMessage(containing: "RELOADING=1", after: before)
                let ready = try await rig.notify.waitForMessage(containing: "READY=1", after: before)
                #expect(ready.contains("STATUS=reload failed: \(config):\(line):"), "\(ready)")
                #expect(ready.contains("running the previous configuration"), "\(ready)")
                let log = try await daemon.waitForOutput(containing: "reload failed", in: .stderr, timeout: .seconds(5))
                #expect(log.contains("\(config):\(line):"), "the log names PATH:LINE: \(log)")

                // The previous configuration keeps polling and announcing.
                let polled = rig.pollCount(.prod)
                rig.set(.prod, connector, "verified")
                let delivered = try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 1)
                #expect(
                    try GenericDelivery(delivered[0]).description
                        == "connector.verified example.com pending→verified (prod)")
                try await rig.waitForPolls(.prod, count: 2, after: polled)
                let later = try await rig.waitForStatus(containing: "1 verified", after: before)
                #expect(
                    later.contains("reload failed:"), "the failure stays in STATUS= until a reload succeeds: \(later)")

                // A later good reload clears it.
                try good.write(to: rig.directory)
                let again = rig.notify.received.count
                daemon.signal(SIGHUP)
                let recovered = try await rig.notify.waitForMessage(containing: "READY=1", after: again)
                #expect(!recovered.contains("reload failed"), "\(recovered)")
                #expect(recovered.contains("STATUS=1 connector in 1 account: 1 verified"), "\(recovered)")
                #expect(daemon.isRunning)
            }
        }
    }
}
