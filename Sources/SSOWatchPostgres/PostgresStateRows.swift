import Foundation
import Logging
import PostgresNIO
import SSOWatchModel
import SSOWatchState

/// The rows one save writes: a change (`StateJournal.Change`) or, without one, the whole document. Built on
/// the caller's thread, written in the save's transaction with one statement per table and kind (arrays
/// bound as parameters and expanded with `unnest`), so a save costs a few round trips however much it holds.
struct PostgresRowsWriter: Sendable {
    /// Whether every row is replaced (a save that named no accounts, or the first save).
    var whole: Bool
    /// Accounts whose rows (and connectors, DNS results) are deleted before `accounts` are inserted.
    var replacedAccounts: [String] = []
    var accounts: [(id: String, payload: String)] = []
    var connectors: [(account: String, connector: String, payload: String)] = []
    var dns: [(account: String, connector: String, payload: String)] = []
    /// Outbox entries removed, then inserted (or updated) in order, then updated.
    var outboxRemoved: [OutboxKey] = []
    var outboxInserted: [(key: OutboxKey, payload: String)] = []
    var outboxUpdated: [(key: OutboxKey, payload: String)] = []
    /// Whether the outbox is replaced whole by `outboxInserted`.
    var outboxWhole: Bool
    /// Every webhook's delivery state, when they changed.
    var webhooks: [(name: String, payload: String)]?

    init(document: StateDocument, change: StateJournal.Change?) {
        whole = change == nil
        let accountStates = change.map(\.accounts) ?? Array(document.accounts.values)
        replacedAccounts = (change.map { $0.accounts.map(\.accountID) + $0.removedAccounts }) ?? []
        for account in accountStates {
            accounts.append((account.accountID, Self.text(StateRows.account(account))))
            for connector in account.connectors.values {
                connectors.append((account.accountID, connector.id, Self.text(StateRows.connector(connector))))
                if let row = StateRows.dns(connector) {
                    dns.append((account.accountID, connector.id, Self.text(row)))
                }
            }
        }
        let wholeOutbox = change == nil ? document.outbox : change?.outbox
        outboxWhole = wholeOutbox != nil
        let inserted = wholeOutbox ?? change?.outboxAdded ?? []
        outboxInserted = inserted.map { (key: OutboxKey($0), payload: Self.text(StateRows.outboxEntry($0))) }
        if let change, change.outbox == nil {
            outboxRemoved = change.outboxRemoved
            outboxUpdated = change.outboxUpdated.map {
                (key: OutboxKey($0), payload: Self.text(StateRows.outboxEntry($0)))
            }
        }
        if let states = change == nil ? document.webhooks : change?.webhooks {
            var rows: [(name: String, payload: String)] = []
            for name in states.keys.sorted() {
                if let state = states[name] { rows.append((name, Self.text(StateRows.webhook(state)))) }
            }
            webhooks = rows
        }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Writes the rows, inside the caller's transaction.
    func write(_ connection: PostgresConnection, logger: Logger) async throws {
        if whole {
            _ = try await connection.query("DELETE FROM ssowatch_accounts", logger: logger)
        } else if !replacedAccounts.isEmpty {
            _ = try await connection.query(
                "DELETE FROM ssowatch_accounts WHERE account_id = ANY(\(replacedAccounts)::text[])", logger: logger)
        }
        if !accounts.isEmpty {
            _ = try await connection.query(
                """
                INSERT INTO ssowatch_accounts (account_id, payload)
                SELECT * FROM unnest(\(accounts.map(\.id))::text[], \(accounts.map(\.payload))::text[])
                """, logger: logger)
        }
        if !connectors.isEmpty {
            _ = try await connection.query(
                """
                INSERT INTO ssowatch_connectors (account_id, connector_id, payload)
                SELECT * FROM unnest(\(connectors.map(\.account))::text[], \(connectors.map(\.connector))::text[],
                \(connectors.map(\.payload))::text[])
                """, logger: logger)
        }
        if !dns.isEmpty {
            _ = try await connection.query(
                """
                INSERT INTO ssowatch_dns_results (account_id, connector_id, payload)
                SELECT * FROM unnest(\(dns.map(\.account))::text[], \(dns.map(\.connector))::text[],
                \(dns.map(\.payload))::text[])
                """, logger: logger)
        }
        try await writeOutbox(connection, logger: logger)
        if let webhooks {
            _ = try await connection.query("DELETE FROM ssowatch_webhooks", logger: logger)
            if !webhooks.isEmpty {
                _ = try await connection.query(
                    """
                    INSERT INTO ssowatch_webhooks (name, payload)
                    SELECT * FROM unnest(\(webhooks.map(\.name))::text[], \(webhooks.map(\.payload))::text[])
                    """, logger: logger)
            }
        }
    }

    private func writeOutbox(_ connection: PostgresConnection, logger: Logger) async throws {
        if outboxWhole {
            _ = try await connection.query("DELETE FROM ssowatch_outbox", logger: logger)
        } else if !outboxRemoved.isEmpty {
            _ = try await connection.query(
                """
                DELETE FROM ssowatch_outbox WHERE (event_id, webhook) IN
                (SELECT * FROM unnest(\(outboxRemoved.map(\.eventID))::text[], \(outboxRemoved.map(\.webhook))::text[]))
                """, logger: logger)
        }
        if !outboxInserted.isEmpty {
            // In order (seq), so the outbox reads back in the order it was queued.
            _ = try await connection.query(
                """
                INSERT INTO ssowatch_outbox (event_id, webhook, payload)
                SELECT e, w, p FROM unnest(\(outboxInserted.map(\.key.eventID))::text[],
                \(outboxInserted.map(\.key.webhook))::text[], \(outboxInserted.map(\.payload))::text[])
                WITH ORDINALITY AS t(e, w, p, n) ORDER BY n
                ON CONFLICT (event_id, webhook) DO UPDATE SET payload = EXCLUDED.payload
                """, logger: logger)
        }
        if !outboxUpdated.isEmpty {
            _ = try await connection.query(
                """
                UPDATE ssowatch_outbox o SET payload = t.p
                FROM unnest(\(outboxUpdated.map(\.key.eventID))::text[], \(outboxUpdated.map(\.key.webhook))::text[],
                \(outboxUpdated.map(\.payload))::text[]) AS t(e, w, p)
                WHERE o.event_id = t.e AND o.webhook = t.w
                """, logger: logger)
        }
    }
}

extension PostgresStateStore {
    /// The whole shared state, read in one transaction (a consistent snapshot).
    static func readDocument(_ connection: PostgresConnection, logger: Logger) async throws -> StateDocument {
        try await PostgresSchema.transaction(connection, logger: logger) {
            _ = try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            var document = StateDocument()
            for try await (id, payload) in try await connection.query(
                "SELECT account_id, payload FROM ssowatch_accounts", logger: logger
            ).decode((String, String).self) {
                document.accounts[id] = try row("ssowatch_accounts", id) { () throws(JSONReadError) in
                    try StateRows.readAccount(Array(payload.utf8))
                }
            }
            for try await (account, id, payload) in try await connection.query(
                "SELECT account_id, connector_id, payload FROM ssowatch_connectors", logger: logger
            ).decode((String, String, String).self) {
                let connector = try row("ssowatch_connectors", "\(account)/\(id)") { () throws(JSONReadError) in
                    try StateRows.readConnector(Array(payload.utf8))
                }
                document.accounts[account]?.connectors[id] = connector
            }
            for try await (account, id, payload) in try await connection.query(
                "SELECT account_id, connector_id, payload FROM ssowatch_dns_results", logger: logger
            ).decode((String, String, String).self) {
                guard var connector = document.accounts[account]?.connectors[id] else { continue }
                try row("ssowatch_dns_results", "\(account)/\(id)") { () throws(JSONReadError) in
                    try StateRows.readDNS(Array(payload.utf8), into: &connector)
                }
                document.accounts[account]?.connectors[id] = connector
            }
            var outbox: [OutboxEntry] = []
            for try await (eventID, webhook, payload) in try await connection.query(
                "SELECT event_id, webhook, payload FROM ssowatch_outbox ORDER BY seq", logger: logger
            ).decode((String, String, String).self) {
                let entry = try row("ssowatch_outbox", "\(eventID)/\(webhook)") { () throws(JSONReadError) in
                    try StateRows.readOutboxEntry(Array(payload.utf8))
                }
                outbox.append(entry)
            }
            document.outbox = outbox
            for try await (name, payload) in try await connection.query(
                "SELECT name, payload FROM ssowatch_webhooks", logger: logger
            ).decode((String, String).self) {
                document.webhooks[name] = try row("ssowatch_webhooks", name) { () throws(JSONReadError) in
                    try StateRows.readWebhook(Array(payload.utf8))
                }
            }
            return document
        }
    }

    /// Decodes one row's payload; a row that does not read is reported with its table and key.
    private static func row<T>(_ table: String, _ key: String, _ decode: () throws(JSONReadError) -> T) throws -> T {
        do {
            return try decode()
        } catch {
            throw UnreadableRow(description: "the row \(key) of \(table) does not read: \(error)")
        }
    }

    struct UnreadableRow: Error, CustomStringConvertible {
        var description: String
    }
}
