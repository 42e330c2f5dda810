import Foundation
import Logging
import PostgresNIO
import SSOWatchConfig
import SSOWatchModel
import SSOWatchState
import Synchronization

/// The state of an active/passive pair in PostgreSQL (docs/HA.md): the `StateStore` the daemon uses when
/// `ha_postgres_url` is set, in place of the state file.
///
/// Every save is one transaction that first checks the leadership epoch (`fence`): a leader that was deposed
/// can no longer write, nor claim a delivery (`claimDelivery`). A save that names its changed accounts
/// writes only those accounts' rows and the outbox's changes (`StateJournal.Change`, as the journal does);
/// a save that names none rewrites every row.
///
/// The calls are synchronous, from the daemon's scheduler queue: each step waits for the database at most
/// `PostgresSession.stepTimeout` (a connection at most `connectTimeout`), and a failed or timed-out step
/// closes the connection, so the next step starts on a new one.
public final class PostgresStateStore: StateStore {
    let url: PostgresURL
    let logger: Logger
    private let connection = Mutex<PostgresConnection?>(nil)
    /// The epoch this instance leads in; `nil` while it does not lead.
    private let epoch = Mutex<Int?>(nil)
    /// The outbox size and delivery states as saved last, to compute a change (`StateJournal.Change`).
    private let saved = Mutex<(outboxCount: Int, webhooks: [String: WebhookDeliveryState])?>(nil)

    public init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    deinit {
        PostgresSession.closeAndWait(connection.withLock { $0 })
    }

    /// `HOST:PORT/DB`, for messages.
    var database: String { url.display }

    /// Sets the epoch this instance leads in (`nil`: it no longer leads; every save and claim is refused).
    package func fence(epoch newEpoch: Int?) {
        epoch.withLock { $0 = newEpoch }
        if newEpoch == nil { saved.withLock { $0 = nil } }
    }

    /// Connects and creates or checks the schema: what the file store's lock is to the state file.
    /// - Throws: `.newerSchema` (exit 78), `.database` when the database cannot be reached.
    public func acquireLock() throws(StateFileError) -> [String] {
        try run("preparing the schema") { connection, logger in
            _ = try await PostgresSchema.prepare(connection, logger: logger)
        }
        return []
    }

    public func load() throws(StateFileError) -> StateFile.LoadResult {
        let document = try run("loading the state") { connection, logger in
            try await Self.readDocument(connection, logger: logger)
        }
        saved.withLock { $0 = (document.outbox.count, document.webhooks) }
        let outcome: StateFile.LoadResult.Outcome =
            document.accounts.isEmpty && document.outbox.isEmpty ? .missing : .loaded
        return StateFile.LoadResult(document: document, outcome: outcome)
    }

    public func save(_ document: StateDocument, changedAccounts: Set<String>?, durable: Bool) throws(StateFileError) {
        guard let epoch = epoch.withLock({ $0 }) else {
            throw .deposed(database: database, epoch: 0, current: nil)
        }
        let previous = saved.withLock { $0 }
        let change = previous.flatMap { previous in
            changedAccounts.map {
                StateJournal.Change(
                    document, changedAccounts: $0, savedOutboxCount: previous.outboxCount,
                    savedWebhooks: previous.webhooks)
            }
        }
        if let change, change.isEmpty { return }
        let rows = PostgresRowsWriter(document: document, change: change)
        try run("saving the state") { connection, logger in
            try await PostgresSchema.transaction(connection, logger: logger) {
                try await Self.checkEpoch(epoch, connection, logger: logger, database: self.database)
                try await rows.write(connection, logger: logger)
            }
        }
        saved.withLock { $0 = (document.outbox.count, document.webhooks) }
    }

    public func claimDelivery(_ keys: [OutboxKey]) throws(StateFileError) {
        guard let epoch = epoch.withLock({ $0 }) else {
            throw .deposed(database: database, epoch: 0, current: nil)
        }
        guard !keys.isEmpty else { return }
        let eventIDs = keys.map(\.eventID)
        let webhooks = keys.map(\.webhook)
        let claimed = try run("claiming a delivery") { connection, logger in
            let rows = try await connection.query(
                """
                UPDATE ssowatch_outbox SET claimed_epoch = \(epoch)
                WHERE (event_id, webhook) IN (SELECT * FROM unnest(\(eventIDs)::text[], \(webhooks)::text[]))
                AND EXISTS (SELECT 1 FROM ssowatch_epoch WHERE epoch = \(epoch)) RETURNING 1
                """, logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
        guard claimed == 0 else { return }
        let current = try run("reading the epoch") { connection, logger in
            try await Self.currentEpoch(connection, logger: logger)
        }
        if current != epoch { throw .deposed(database: database, epoch: epoch, current: current) }
        throw .database(
            database: database, step: "claiming a delivery",
            reason: "the outbox holds none of the \(keys.count) notification(s) to deliver")
    }

    /// Refuses the transaction unless the database is still at `epoch` (the row is locked against the next
    /// leader's increment until the transaction ends), and notes the save's time in the leader row for
    /// `status` (`state.last_saved`), in the same round trip.
    static func checkEpoch(
        _ epoch: Int, _ connection: PostgresConnection, logger: Logger, database: String
    ) async throws {
        let rows = try await connection.query(
            """
            WITH current AS (SELECT epoch FROM ssowatch_epoch FOR SHARE),
            noted AS (UPDATE ssowatch_leader SET last_saved = now() WHERE epoch = \(epoch)
            AND epoch = (SELECT epoch FROM current) RETURNING 1)
            SELECT epoch FROM current
            """, logger: logger)
        var current: Int?
        for try await value in rows.decode(Int.self) { current = value }
        guard current == epoch else {
            throw StateFileError.deposed(database: database, epoch: epoch, current: current)
        }
    }

    static func currentEpoch(_ connection: PostgresConnection, logger: Logger) async throws -> Int? {
        let rows = try await connection.query("SELECT epoch FROM ssowatch_epoch", logger: logger)
        var current: Int?
        for try await value in rows.decode(Int.self) { current = value }
        return current
    }

    /// Runs one step on the store's connection (made when there is none), waiting at most `stepTimeout`. A
    /// failure closes the connection; it is reported as `StateFileError` (`.deposed` and `.newerSchema` as
    /// themselves, anything else as `.database` with the step and the server's message).
    private func run<T: Sendable>(
        _ step: String, _ work: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) throws(StateFileError) -> T {
        let url = self.url
        let logger = self.logger
        let existing = connection.withLock { $0 }
        let result = PostgresSession.blocking(timeout: PostgresSession.stepTimeout) {
            let active: PostgresConnection
            if let existing, !existing.isClosed {
                active = existing
            } else {
                active = try await PostgresSession.connect(url, logger: logger)
            }
            do {
                return (try await work(active, logger), active)
            } catch {
                // The connection may be in any state: the next step starts on a new one.
                try? await active.close()
                throw Failed(error: error, connection: active)
            }
        }
        switch result {
        case .success(let (value, active)):
            connection.withLock { $0 = active }
            return value
        case .failure(let error):
            let failed = error as? Failed
            if failed == nil {
                // No answer in time: the step's connection may still be busy; it is closed, and the next step
                // starts on a new one.
                PostgresSession.closeAndWait(existing)
            }
            connection.withLock { $0 = nil }
            let cause = failed?.error ?? error
            if let error = cause as? StateFileError { throw error }
            if let tooNew = cause as? PostgresSchema.SchemaTooNew {
                throw .newerSchema(found: tooNew.found, supported: PostgresSchema.currentVersion, database: database)
            }
            throw .database(database: database, step: step, reason: PostgresSession.describe(cause))
        }
    }

    private struct Failed: Error {
        var error: any Error
        var connection: PostgresConnection
    }
}
