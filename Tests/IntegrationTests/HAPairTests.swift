import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An active/passive pair on a real PostgreSQL (docs/HA.md): one leader polls and delivers, standbys wait and
/// say who leads; no state file; what a database that is down, too new or unreachable does.
@Suite(.serialized) struct HAPairTests {
    @Test func onlyTheLeaderPollsAndTheStandbyNamesIt() async throws {
        try await withHAPair(connectors: ["pair.example.com"]) { pair in
            let rig = pair.rig
            let first = try pair.start()
            try await first.reaped { first in
                try await rig.waitForMorePolls(.prod, count: 2)
                let leader = try await pair.waitForLeader(among: [first])
                #expect(leader.pid == first.pid)
                // The standby runs the same configuration, but for the port of its metrics.
                let metricsPort = try freeLoopbackPort()
                let standbyConfig = try HAPairRig.config(
                    rig, server: pair.server,
                    [
                        ("metrics_listen", "127.0.0.1:\(metricsPort)")
                    ]
                ).write(to: rig.directory, name: "standby.ini")
                let second = try pair.start(standbyConfig)
                try await second.reaped { second in
                    try await rig.waitForStatus(containing: "standby: leader is ")
                    try await rig.waitForStatus(containing: "(pid \(first.pid))")
                    _ = try await waitForSamples(port: metricsPort, "ssowatch_leader 0 on the standby") {
                        $0["ssowatch_leader"].flatMap(Double.init) == 0
                    }
                    // Freeze the leader: it keeps its lock (the kernel still answers for its socket), and the
                    // standby must not poll in its place.
                    first.signal(SIGSTOP)
                    let before = rig.apiRequests.value.count
                    try await Task.sleep(for: .seconds(4))
                    #expect(rig.apiRequests.value.count == before, "the standby polled while the leader lived")
                    // Thawed, its heartbeat is late: it gives the leadership up and one of the two leads.
                    first.signal(SIGCONT)
                    try await rig.waitForMorePolls(.prod, count: 2)
                    let leader = try await pair.waitForLeader(among: [first, second])
                    let status = try await pair.status()
                    #expect(status.ha?.leader?.pid == Int(leader.pid))
                    #expect(status.ha?.role == "leader", "the leader runs on this host")
                    #expect(
                        status.state?.lastSaved != nil,
                        "when the leader last saved the shared state: \(first.stderr.suffix(2500))")
                    #expect(status.connectors.map(\.emailDomain) == ["pair.example.com"])
                    #expect(second.isRunning)
                    for output in [first.stderr, second.stderr, status.text] + rig.notify.received {
                        #expect(!output.contains(PostgresServer.password), "the database password leaked")
                    }
                    // Both stop cleanly on SIGTERM, the leader after writing the whole state.
                    for instance in [second, first] {
                        instance.signal(SIGTERM)
                        let result = try await instance.waitForExit(timeout: .seconds(20))
                        #expect(result.status == 0, "\(result)")
                    }
                    let after = try await pair.status()
                    #expect(after.ha?.leader == nil, "nobody leads once both stopped")
                    #expect(after.connectors.map(\.emailDomain) == ["pair.example.com"], "the state stays")
                }
            }
            #expect(!rig.directory.exists("state.json"), "a pair keeps no state file")
            #expect(!rig.directory.exists("state.json.lock"), "a pair takes no file lock")
        }
    }

    @Test func aDatabaseDownAtStartMeansStandbyThenLeader() async throws {
        guard PostgresServer.unavailableReason == nil else {
            print("\(#function): skipped because \(PostgresServer.unavailableReason ?? "")")
            return
        }
        let server = try await PostgresServer.create()
        do {
            try await Self.startLate(server)
            await server.stop()
            server.remove()
        } catch {
            await server.stop()
            server.remove()
            throw error
        }
    }

    /// The body of `aDatabaseDownAtStartMeansStandbyThenLeader`: the server is created, not started.
    private static func startLate(_ server: PostgresServer) async throws {
        try await withDaemonRig(connectors: ["late.example.com"]) { rig in
            let path = try HAPairRig.config(rig, server: server).write(to: rig.directory)
            try await rig.withDaemon(path) { daemon in
                try await rig.waitForStatus(containing: "READY=1")
                try await rig.waitForStatus(containing: "standby: database unreachable (")
                #expect(rig.pollCount() == 0)
                #expect(daemon.isRunning, "an unreachable database is not fatal")
                try await server.start()
                try await server.createDatabase("ssowatch")
                try await rig.waitForMorePolls(.prod, count: 2, timeout: .seconds(30))
                let status = try await rig.status(configPath: path)
                #expect(status.ha?.leader?.pid == Int(daemon.pid))
                #expect(daemon.stderr.contains("127.0.0.1:\(server.port)/ssowatch"), "the log names the database")
                #expect(!daemon.stderr.contains(PostgresServer.password), "the database password leaked")
            }
        }
    }

    @Test func aNewerSchemaIsRefusedWithExit78() async throws {
        try await withHAPair { pair in
            try await pair.server.psql(
                "CREATE TABLE ssowatch_schema (version integer NOT NULL); INSERT INTO ssowatch_schema VALUES (99)")
            let run = try await runSSOWatch(["run", "--config", pair.configPath], timeout: .seconds(30))
            #expect(run.status == 78, "\(run)")
            #expect(run.stderr.contains("schema version 99"), "\(run.stderr)")
            let check = try await runSSOWatch(["check-config", "--config", pair.configPath])
            #expect(check.status == 78, "\(check)")
            let version = try await pair.server.psql("SELECT version FROM ssowatch_schema")
            #expect(version == "99", "left untouched")
        }
    }

    @Test func checkConfigReportsTheDatabase() async throws {
        try await withHAPair { pair in
            let fresh = try await runSSOWatch(["check-config", "--config", pair.configPath])
            #expect(fresh.status == 0, "\(fresh)")
            #expect(fresh.stdout.contains("reachable; no ssowatch tables yet"), "\(fresh.stdout)")
            #expect(!fresh.stdout.contains(pair.server.url()), "the URL is a secret")
        }
    }

    @Test func checkConfigExits69WhenTheDatabaseCannotBeReached() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort()
            let url = "postgresql://ssowatch:hunter2@127.0.0.1:\(port)/ssowatch"
            let path = try ConfigFile().daemon("ha_postgres_url", url)
                .account(TestAccount.prod.name, id: TestAccount.prod.id, token: TestAccount.prod.token)
                .write(to: directory)
            let check = try await runSSOWatch(["check-config", "--config", path])
            #expect(check.status == 69, "\(check)")
            #expect(check.stderr.contains("127.0.0.1:\(port)/ssowatch"), "\(check.stderr)")
            #expect(!check.stderr.contains("hunter2") && !check.stdout.contains("hunter2"), "the password leaked")
        }
    }
}
