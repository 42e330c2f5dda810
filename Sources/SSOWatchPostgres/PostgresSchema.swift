import Logging
import PostgresNIO
import SSOWatchState

/// The tables of the pair's shared state (docs/HA.md), created and migrated at start.
///
/// Each piece of state is one row whose `payload` is that piece in the state file's own JSON (`StateRows`), so
/// the state has one encoding however it is stored. `ssowatch_schema` holds the version; a database whose
/// version is newer than `currentVersion` is refused (exit 78) and left untouched.
package enum PostgresSchema {
    /// The schema this build creates and understands.
    package static let currentVersion = 1

    /// The session advisory lock whose holder leads (`pg_try_advisory_lock`): "ssowatch" in ASCII.
    static let leadershipKey: Int64 = 0x73_736f_7761_7463
    /// The transaction advisory lock that serialises schema migrations of instances starting together.
    static let migrationKey: Int64 = 0x73_736f_7761_7464

    /// Version 1, statement by statement.
    static let version1 = [
        // One row each, by construction: the key can only be true.
        """
        CREATE TABLE IF NOT EXISTS ssowatch_schema (one boolean PRIMARY KEY DEFAULT true CHECK (one),
        version integer NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS ssowatch_epoch (one boolean PRIMARY KEY DEFAULT true CHECK (one),
        epoch bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS ssowatch_leader (one boolean PRIMARY KEY DEFAULT true CHECK (one), host text NOT NULL, pid integer NOT NULL, epoch bigint NOT NULL,
        since timestamptz NOT NULL, backend_pid integer NOT NULL, last_saved timestamptz)
        """,
        "CREATE TABLE IF NOT EXISTS ssowatch_accounts (account_id text PRIMARY KEY, payload text NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS ssowatch_connectors (account_id text NOT NULL REFERENCES ssowatch_accounts
        ON DELETE CASCADE, connector_id text NOT NULL, payload text NOT NULL, PRIMARY KEY (account_id, connector_id))
        """,
        """
        CREATE TABLE IF NOT EXISTS ssowatch_dns_results (account_id text NOT NULL, connector_id text NOT NULL,
        payload text NOT NULL, PRIMARY KEY (account_id, connector_id), FOREIGN KEY (account_id, connector_id)
        REFERENCES ssowatch_connectors ON DELETE CASCADE)
        """,
        """
        CREATE TABLE IF NOT EXISTS ssowatch_outbox (seq bigserial PRIMARY KEY, event_id text NOT NULL,
        webhook text NOT NULL, payload text NOT NULL, claimed_epoch bigint, UNIQUE (event_id, webhook))
        """,
        "CREATE TABLE IF NOT EXISTS ssowatch_webhooks (name text PRIMARY KEY, payload text NOT NULL)",
    ]

    /// What `prepare` found.
    package enum Outcome: Sendable, Equatable {
        case created
        case current
    }

    /// Creates the tables when there are none; checks the version otherwise.
    /// - Throws: `SchemaTooNew` for a newer schema; a database error.
    @discardableResult
    static func prepare(_ connection: PostgresConnection, logger: Logger) async throws -> Outcome {
        if let found = try await version(connection, logger: logger) {
            guard found <= currentVersion else { throw SchemaTooNew(found: found) }
            return .current
        }
        return try await transaction(connection, logger: logger) {
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(migrationKey))", logger: logger)
            // Another instance may have created it while this one waited for the lock.
            if let found = try await version(connection, logger: logger) {
                guard found <= currentVersion else { throw SchemaTooNew(found: found) }
                return .current
            }
            for statement in version1 {
                _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            _ = try await connection.query(
                "INSERT INTO ssowatch_schema (version) VALUES (\(currentVersion)) ON CONFLICT DO NOTHING",
                logger: logger)
            _ = try await connection.query(
                "INSERT INTO ssowatch_epoch (epoch) VALUES (0) ON CONFLICT DO NOTHING", logger: logger)
            return .created
        }
    }

    /// The schema version; `nil` when the database has no ssowatch tables yet.
    static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int? {
        let exists = try await connection.query("SELECT to_regclass('ssowatch_schema') IS NOT NULL", logger: logger)
        var found = false
        for try await present in exists.decode(Bool.self) { found = present }
        guard found else { return nil }
        let rows = try await connection.query("SELECT max(version) FROM ssowatch_schema", logger: logger)
        var version: Int?
        for try await value in rows.decode(Int?.self) { version = value }
        return version
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    static func transaction<T>(
        _ connection: PostgresConnection, logger: Logger, _ body: () async throws -> T
    ) async throws -> T {
        _ = try await connection.query("BEGIN", logger: logger)
        do {
            let result = try await body()
            _ = try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The database's schema is newer than this build's.
    package struct SchemaTooNew: Error {
        package var found: Int
    }
}
