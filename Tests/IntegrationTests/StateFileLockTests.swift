import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One daemon per state file: `run` locks `STATE_FILE.lock` (holding its pid) before it reads the state, a
/// second `run` on the same state exits 75 naming the file and the pid, and only the holder of the lock
/// removes the temporary files an interrupted write left behind.
@Suite struct StateFileLockTests {
    @Test func aSecondRunOnTheSameStateIsRefusedWithExitStatus75() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "one.example.com", "pending")
            let config = try rig.config().write(to: rig.directory)
            let lockPath = rig.statePath + ".lock"

            try await rig.withDaemon(config) { first in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")
                let secondNotify = try NotifySocket(in: rig.directory, name: "notify-second.sock")
                defer { secondNotify.stop() }
                let started = ContinuousClock.now
                let running = try SSOWatchProcess.start(
                    ["run", "--config", config], environment: secondNotify.environment)
                guard let second = try? await running.waitForExit(timeout: .seconds(10)) else {
                    let ready = secondNotify.lines.contains("READY=1")
                    let output = try await running.killAndReap()
                    Issue.record(
                        "a second run on the same state still ran after 10 s (READY=1 sent: \(ready)): \(output)")
                    return
                }
                let took = started.duration(to: .now)
                print("second run: exit \(second.status) after \(took): \(second.stderr)")

                #expect(second.status == 75, "\(second)")
                #expect(took < .seconds(5), "refused at once, not after a poll: \(took)")
                #expect(second.stderr.contains(rig.statePath), "names the state file: \(second.stderr)")
                #expect(
                    second.stderr.contains("process \(first.pid)"), "names the first daemon's pid: \(second.stderr)")
                #expect(!secondNotify.lines.contains("READY=1"), "no READY=1: \(secondNotify.received)")

                #expect(lockFile(rig) == "\(first.pid)\n", "the lock file names its owner")
                #expect(first.isRunning, "the first daemon is left alone")
                try await rig.waitForMorePolls(.prod, count: 2)
                #expect(first.isRunning)
                #expect(lockFile(rig) == "\(first.pid)\n", "the lock file is unchanged")

                first.signal(SIGTERM)
                #expect(try await first.waitForExit(timeout: .seconds(15)).status == 0)
            }
            #expect(FileManager.default.fileExists(atPath: lockPath), "the lock file is never deleted")

            // Once the first has stopped, a new one starts as usual and takes the lock.
            let again = rig.notify.received.count
            try await rig.withDaemon(config) { next in
                try await rig.notify.waitForMessage(containing: "READY=1", after: again)
                try await rig.waitForMorePolls(.prod, count: 1)
                #expect(lockFile(rig) == "\(next.pid)\n")
                next.signal(SIGTERM)
                #expect(try await next.waitForExit(timeout: .seconds(15)).status == 0)
            }
        }
    }

    @Test func temporaryFilesLeftByAnInterruptedWriteAreRemovedAtStart() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "one.example.com", "pending")
            let config = try rig.config().write(to: rig.directory)
            let leftovers = [".state.json.tmp-0123456789abcdef", ".state.json.journal.tmp-fedcba9876543210"]
            // Not temporary files of this state file: another file's, and names that only look similar.
            let unrelated = [
                ".other.tmp-0123456789abcdef", ".state.json.tmp-0123", ".state.json.tmp-0123456789abcdeg",
                "state.json.tmp-0123456789abcdef",
            ]
            for name in leftovers + unrelated { try rig.directory.write(name, "{\"half\": \"written") }

            try await rig.withDaemon(config) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                for name in leftovers {
                    #expect(!rig.directory.exists(name), "\(name) is removed before READY=1")
                    #expect(daemon.stderr.contains("removed \(name)"), "and logged: \(daemon.stderr.prefix(3000))")
                }
                for name in unrelated { #expect(rig.directory.exists(name), "\(name) is left alone") }
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 pending")
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }
            for name in unrelated { #expect(rig.directory.exists(name), "\(name) is still there") }
        }
    }

    /// The lock file's contents, `nil` when it cannot be read.
    private func lockFile(_ rig: DaemonRig) -> String? {
        try? rig.directory.read("state.json.lock")
    }
}
