import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Log lines that cannot be written are dropped and counted (`ssowatch_log_lines_dropped_total`), never
/// fatal: a daemon whose standard error nobody reads any more (the reader of a pipe went away) keeps
/// polling and delivering.
@Suite struct LogOutputFailureTests {
    @Test func aDaemonWhoseStderrReaderWentAwayKeepsRunningAndDelivering() async throws {
        try await withDaemonRig { rig in
            let id = rig.connector(.prod, "one.example.com", "pending")
            let port = try freeLoopbackPort()
            let config = try rig.auditedConfig([("metrics_listen", "127.0.0.1:\(port)")]).write(to: rig.directory)
            let dropped = "ssowatch_log_lines_dropped_total"

            let run = ["run", "--config", config]
            try await withSSOWatchProcess(run, environment: rig.environment(), stderr: .pipeToTest) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")
                let before = try await waitForSamples(port: port, "a first scrape") { !$0.isEmpty }
                #expect(before[dropped] == "0", "nothing dropped while the pipe is open")

                daemon.stderrPipe?.close()
                // Every poll logs at debug; a change logs at info, and so does its delivery.
                rig.set(.prod, id, "verified")
                try await waitForDelivery(rig, count: 1, by: daemon)
                rig.set(.prod, id, "failed")
                let delivered = try await waitForDelivery(rig, count: 2, by: daemon)
                #expect(try delivered.map { try GenericDelivery($0).status } == ["verified", "failed"])
                try await rig.waitForMorePolls(.prod, count: 2)
                #expect(daemon.isRunning)

                let after = try await waitForSamples(port: port, "\(dropped) above 0") {
                    (Int($0[dropped] ?? "") ?? 0) > 0
                }
                print("log lines dropped once stderr's reader went away: \(after[dropped] ?? "?")")

                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit(timeout: .seconds(15))
                #expect(result.status == 0, "\(result)")
            }
        }
    }

    /// Waits until `count` notifications were delivered; fails saying how the daemon ended if it did.
    @discardableResult
    private func waitForDelivery(_ rig: DaemonRig, count: Int, by daemon: SSOWatchProcess) async throws
        -> [RecordedRequest]
    {
        do {
            return try await rig.waitForDeliveries(
                to: DaemonRig.genericPath, count: count, successfulOnly: true, timeout: .seconds(15))
        } catch let error as HarnessError {
            guard !daemon.isRunning else { throw error }
            let ended = try await daemon.waitForExit()
            throw HarnessError("the daemon ended after its standard error's reader went away: \(ended)")
        }
    }
}
