import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ssowatch run` with a state file it cannot use as is (docs/COMMANDS.md, §6): one from a newer version is
/// refused and left alone; a corrupt one is moved aside and the daemon starts with a silent baseline.
@Suite struct DaemonStateFileTests {
    @Test func aStateFileFromANewerVersionIsRefusedAndLeftUntouched() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            let config = try rig.auditedConfig().write(to: rig.directory)
            let newer = "{\"version\": 999, \"accounts\": {}, \"outbox\": [], \"webhooks\": {}, \"future\": true}\n"
            try rig.directory.write("state.json", newer, mode: 0o640)
            let before = try FileManager.default.attributesOfItem(atPath: rig.statePath)

            let result = try await runSSOWatch(
                ["run", "--config", config], environment: rig.environment(), timeout: .seconds(30))

            #expect(result.status == 78, "\(result)")
            #expect(result.stderr.contains("newer version"), "\(result)")
            #expect(result.stderr.contains(rig.statePath))
            #expect(try Data(contentsOf: URL(fileURLWithPath: rig.statePath)) == Data(newer.utf8), "byte for byte")
            let after = try FileManager.default.attributesOfItem(atPath: rig.statePath)
            #expect((after[.posixPermissions] as? NSNumber) == (before[.posixPermissions] as? NSNumber))
            #expect((after[.modificationDate] as? Date) == (before[.modificationDate] as? Date))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: rig.directory.path).filter {
                $0.hasPrefix("state.json") || $0.hasPrefix(".state.json")
            }
            // The lock file is taken before the state is read (one daemon per state file), and kept.
            #expect(
                leftovers.sorted() == ["state.json", "state.json.lock"], "nothing moved aside or written beside it")
            await #expect(throws: HarnessError.self, "no READY=1 for a daemon that refuses to start") {
                try await rig.notify.waitForMessage(containing: "READY=1", timeout: .milliseconds(500))
            }
            #expect(rig.apiRequests.value.isEmpty, "nothing was polled")

            let status = try await runSSOWatch(["status", "--state-file", rig.statePath])
            #expect(status.status == 78, "\(status)")
        }
    }

    @Test func aCorruptStateFileIsMovedAsideAndTheDaemonStartsWithASilentBaseline() async throws {
        try await withDaemonRig { rig in
            rig.connector(.prod, "ok.example.com", "verified")
            rig.connector(.prod, "bad.example.com", "failed")
            let config = try rig.auditedConfig().write(to: rig.directory)
            let corrupt = "{\"version\": 1, \"accounts\": {\"trunc"
            try rig.directory.write("state.json", corrupt)
            let inspected = try await runSSOWatch(["status", "--config", config])
            #expect(inspected.status == 1, "status reports a corrupt file: \(inspected)")
            #expect(inspected.stderr.contains("corrupt"), "\(inspected)")
            #expect(try rig.directory.read("state.json") == corrupt, "status changes nothing")

            try await rig.withDaemon(config) { daemon in
                try await rig.notify.waitForMessage(containing: "READY=1")
                try await rig.waitForStatus(containing: "2 connectors in 1 account: 1 verified, 1 failed")
                try await rig.waitForMorePolls(.prod, count: 3)
                #expect(daemon.stderr.contains("corrupt"), "the log says what happened: \(daemon.stderr)")
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }

            #expect(rig.deliveries.value.isEmpty, "no alert storm after a corrupt state file")
            let names = try FileManager.default.contentsOfDirectory(atPath: rig.directory.path)
            let aside = try #require(names.first { $0.hasPrefix("state.json.corrupt-") }, "\(names)")
            #expect(try rig.directory.read(aside) == corrupt, "the corrupt file is kept for inspection")
            let status = try await rig.status(configPath: config)
            #expect(status.connectors.count == 2, "\(status.text)")
        }
    }
}
