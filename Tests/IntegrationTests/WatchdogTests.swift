import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// docs/SYSTEMD.md: `WATCHDOG=1` says the scheduler is alive, nothing more. It keeps coming while Cloudflare
/// is unreachable (that is an error shown in `STATUS=`, not a hang) and stops when the scheduler's
/// queue is blocked, so systemd restarts a hung daemon.
///
/// `sd_watchdog_enabled` ignores `WATCHDOG_USEC` when `WATCHDOG_PID` names another process; systemd
/// sets it to the service's main pid. The tests leave it unset (any process may ping) or set it to
/// another pid.
@Suite struct WatchdogTests {
    static let account = TestAccount(name: "prod", id: TestAccount.prod.id, token: "cfut_watchdog_prod_6f7a")

    @Test func pingsContinueWhileCloudflareIsUnreachableAndStopWhenTheSchedulerHangs() async throws {
        try await withDaemonRig { rig in
            rig.register([Self.account])
            rig.simulator.addConnector(accountID: Self.account.id, domain: "example.com", status: "pending")
            rig.simulator.injectFault(.dropConnection, times: 100_000)
            let path = try rig.config(accounts: [Self.account]).write(to: rig.directory)
            let environment = ["WATCHDOG_USEC": "1000000", "SSOWATCH_TEST_HANG_ON_SIGUSR1": "1"]
            try await rig.withDaemon(path, environment: environment) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatusLine("naming prod as failing") {
                    $0.contains("1 account failing (prod: ")
                }
                // Half of WATCHDOG_USEC: a ping every 0.5 s, polls failing all along.
                let from = rig.notify.received.count
                let start = ContinuousClock.now
                try await rig.waitForWatchdogPings(6, after: from, timeout: .seconds(6))
                let elapsed = ContinuousClock.now - start
                #expect(elapsed < .seconds(4.5), "6 pings took \(elapsed)")
                let latest = try #require(rig.statusLines.last)
                #expect(latest.contains("1 account failing (prod: "), "STATUS= says why: \(latest)")
                #expect(rig.apiRequests.value.count >= 3, "the polls kept failing meanwhile")

                // A blocked scheduler queue: the pings stop for well over twice WATCHDOG_USEC.
                daemon.signal(SIGUSR1)
                try await daemon.waitForOutput(containing: "blocking the scheduler", in: .stderr)
                let atHang = rig.notify.received.count
                // A live scheduler would ping 5 times in 2.5 s; pings sent just before the queue
                // blocked may still be on their way to a busy test process.
                let error = await #expect(throws: HarnessError.self) {
                    try await rig.waitForWatchdogPings(3, after: atHang, timeout: .milliseconds(2500))
                }
                #expect(error != nil, "pings went on after the scheduler hung")
                #expect(daemon.isRunning, "the daemon hangs rather than exits; systemd's watchdog must kill it")
            }
        }
    }

    @Test func aWatchdogMeantForAnotherProcessIsNotPinged() async throws {
        try await withDaemonRig { rig in
            rig.register([Self.account])
            let path = try rig.config(accounts: [Self.account]).write(to: rig.directory)
            try await rig.withDaemon(path, environment: ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"]) { _ in
                try await rig.notify.waitForMessage(containing: "READY=1")
                let error = await #expect(throws: HarnessError.self) {
                    try await rig.waitForWatchdogPings(1, after: 0, timeout: .milliseconds(1500))
                }
                #expect(error != nil)
            }
        }
    }
}
