import Foundation
import Logging
import PostgresNIO
import SSOWatchConfig
import SSOWatchState

/// What `ssowatch status` and `check-config` read from the pair's database (docs/HA.md), without taking part
/// in the leadership and without creating anything.
public enum PostgresPairStatus {
    /// The leader: the `ssowatch_leader` row, while some session holds the leadership lock; `nil` when no
    /// instance leads.
    static func leader(_ connection: PostgresConnection, logger: Logger) async throws -> LeaderRecord? {
        let (first, second) = PostgresLeadership.lockKeys
        let rows = try await connection.query(
            """
            SELECT host, pid, epoch, since FROM ssowatch_leader WHERE EXISTS (SELECT 1 FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND classid = \(Int(first))::oid AND objid = \(Int(second))::oid
            AND objsubid = 2)
            """, logger: logger)
        var leader: LeaderRecord?
        for try await (host, pid, epoch, since) in rows.decode((String, Int, Int, Date).self) {
            leader = LeaderRecord(host: host, pid: pid, epoch: epoch, since: since)
        }
        return leader
    }

    /// The shared state, the leader and when the latest leader last saved the state; `document` is `nil` when
    /// the database has no ssowatch tables yet.
    /// - Throws: `.database` when it cannot be reached or read, `.newerSchema`.
    public static func read(_ url: PostgresURL, logger: Logger) throws(StateFileError) -> (
        document: StateDocument?, leader: LeaderRecord?, lastSaved: Date?
    ) {
        try run(url, step: "reading the shared state", logger: logger) { connection in
            guard let version = try await PostgresSchema.version(connection, logger: logger) else {
                return (nil, nil, nil)
            }
            guard version <= PostgresSchema.currentVersion else {
                throw PostgresSchema.SchemaTooNew(found: version)
            }
            let document = try await PostgresStateStore.readDocument(connection, logger: logger)
            var lastSaved: Date?
            for try await saved in try await connection.query(
                "SELECT last_saved FROM ssowatch_leader", logger: logger
            ).decode(Date?.self) {
                lastSaved = saved
            }
            return (document, try await leader(connection, logger: logger), lastSaved)
        }
    }

    /// `check-config`'s check: the database answers and its schema fits. Returns the schema version (`nil`:
    /// none yet, created by the first `run`).
    /// - Throws: `.database` (exit 69), `.newerSchema` (exit 78).
    public static func check(_ url: PostgresURL, logger: Logger) throws(StateFileError) -> Int? {
        try run(url, step: "connecting", logger: logger) { connection in
            let version = try await PostgresSchema.version(connection, logger: logger)
            if let version, version > PostgresSchema.currentVersion {
                throw PostgresSchema.SchemaTooNew(found: version)
            }
            return version
        }
    }

    /// This host's name, as the leader row records it.
    public static var thisHost: String { PostgresLeadership.hostName() }

    /// The schema version this build understands.
    public static var supportedSchemaVersion: Int { PostgresSchema.currentVersion }

    private static func run<T: Sendable>(
        _ url: PostgresURL, step: String, logger: Logger,
        _ work: @escaping @Sendable (PostgresConnection) async throws -> T
    ) throws(StateFileError) -> T {
        let result = PostgresSession.blocking(timeout: PostgresSession.stepTimeout) {
            let connection = try await PostgresSession.connect(url, logger: logger)
            do {
                let value = try await work(connection)
                try? await connection.close()
                return value
            } catch {
                try? await connection.close()
                throw error
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error as PostgresSchema.SchemaTooNew):
            throw .newerSchema(found: error.found, supported: PostgresSchema.currentVersion, database: url.display)
        case .failure(let error):
            throw .database(database: url.display, step: step, reason: PostgresSession.describe(error))
        }
    }
}
