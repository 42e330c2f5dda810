import Foundation
import SSOWatchSimulator

#if canImport(Glibc)
    import Glibc
#endif

/// Two or more `ssowatch run` sharing one PostgreSQL (docs/HA.md): the `DaemonRig`'s simulator, receivers and
/// `NOTIFY_SOCKET`, and a configuration with `ha_postgres_url` pointing at the test's server.
struct HAPairRig: Sendable {
    let rig: DaemonRig
    let server: PostgresServer
    let configPath: String

    /// The configuration every instance runs: the rig's audited configuration with the pair's database.
    static func config(_ rig: DaemonRig, server: PostgresServer, _ daemon: [ConfigFile.Setting] = []) -> ConfigFile {
        rig.auditedConfig(daemon + [("ha_postgres_url", server.url())])
    }

    /// Starts one more instance.
    func start(_ configPath: String? = nil) throws -> SSOWatchProcess {
        try rig.startDaemon(configPath ?? self.configPath)
    }

    /// `status --json` of the pair.
    func status() async throws -> StatusOutput {
        try await rig.status(configPath: configPath)
    }

    /// Waits until `status --json` names a leader among `candidates` (by pid) and returns it.
    func waitForLeader(among candidates: [SSOWatchProcess], timeout: Duration = .seconds(20)) async throws
        -> SSOWatchProcess
    {
        let pids = Set(candidates.map { Int($0.pid) })
        let output = try await rig.waitForStatusJSON(
            configPath: configPath, "a leader among \(pids.sorted())", timeout: timeout
        ) { output in output.ha?.leader.map { pids.contains($0.pid) } ?? false }
        let pid = output.ha?.leader?.pid
        guard let leader = candidates.first(where: { Int($0.pid) == pid }) else {
            throw HarnessError("no instance has pid \(pid.map(String.init) ?? "none")")
        }
        return leader
    }
}

/// Runs `body` with a PostgreSQL, a `DaemonRig` and the pair's configuration written; every instance `body`
/// starts with `pair.start()` is its own to reap (use `reaped`). Prints "skipped because …" where PostgreSQL
/// cannot run.
func withHAPair(
    _ test: String = #function, connectors domains: [String] = [], _ daemon: [ConfigFile.Setting] = [],
    _ body: (HAPairRig) async throws -> Void
) async throws {
    try await withPostgres(test) { server in
        try await withDaemonRig(connectors: domains) { rig in
            let path = try HAPairRig.config(rig, server: server, daemon).write(to: rig.directory)
            try await body(HAPairRig(rig: rig, server: server, configPath: path))
        }
    }
}

/// The successful generic deliveries a receiver got, with what identifies each: its `webhook-id` and the
/// transition it announces.
struct AnnouncedTransition: Hashable, CustomStringConvertible {
    var connector: String
    var from: String?
    var to: String
    /// Since when the connector had the status it left: the same transition detected twice has the same one.
    var fromSince: String?

    var description: String { "\(connector) \(from ?? "?")→\(to)" }

    init(_ delivery: GenericDelivery) {
        connector = delivery.connectorID ?? "?"
        from = delivery.previousStatus
        to = delivery.status ?? "?"
        fromSince = delivery.previousStatusSince
    }
}
