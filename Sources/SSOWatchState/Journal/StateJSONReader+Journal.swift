import SSOWatchConfig
import SSOWatchModel

/// The journal's lines (`StateJournal`, docs/STATE.md), read with the state file's types.
extension StateJSONReader {
    /// The first line of a journal: the generation of the state file it continues and its format version.
    static func journalHeader(_ bytes: [UInt8]) throws(JSONReadError) -> (generation: Int, format: Int) {
        try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in
            var generation: Int?
            var format: Int?
            try reader.object { (reader, key) throws(JSONReadError) in
                switch key {
                case "generation": try reader.once(&generation) { (r) throws(JSONReadError) in try r.int() }
                case "ssowatch_journal": try reader.once(&format) { (r) throws(JSONReadError) in try r.int() }
                default: try reader.skipValue()
                }
            }
            return (try reader.required(generation, "generation"), try reader.required(format, "ssowatch_journal"))
        }
    }

    /// One later line of a journal (its newline removed).
    static func journalChange(_ bytes: [UInt8]) throws(JSONReadError) -> StateJournal.Change {
        try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in try reader.journalChange() }
    }
}

extension JSONByteReader {
    /// A `StateJournal` line: each key optional (docs/STATE.md).
    mutating func journalChange() throws(JSONReadError) -> StateJournal.Change {
        var accounts: [String: AccountState]?
        var removed: [String]?
        var outbox: [OutboxEntry]?? = .none
        var outboxRemoved: [OutboxKey]?
        var outboxAdded: [OutboxEntry]?
        var outboxUpdated: [OutboxEntry]?
        var webhooks: [String: WebhookDeliveryState]?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "accounts":
                try reader.once(&accounts) { (r) throws(JSONReadError) in try r.optional(Self.accounts) ?? [:] }
            case "removed_accounts":
                try reader.once(&removed) { (r) throws(JSONReadError) in
                    try r.optional { (r) throws(JSONReadError) in try r.array(Self.string) } ?? []
                }
            case "outbox": try reader.onceOptional(&outbox, Self.outbox)
            case "outbox_removed":
                try reader.once(&outboxRemoved) { (r) throws(JSONReadError) in
                    try r.optional { (r) throws(JSONReadError) in
                        try r.array { (r) throws(JSONReadError) in try r.outboxKey() }
                    } ?? []
                }
            case "outbox_added":
                try reader.once(&outboxAdded) { (r) throws(JSONReadError) in try r.optional(Self.outbox) ?? [] }
            case "outbox_updated":
                try reader.once(&outboxUpdated) { (r) throws(JSONReadError) in try r.optional(Self.outbox) ?? [] }
            case "webhooks": try reader.onceOptional(&webhooks, Self.webhooks)
            default: try reader.skipValue()
            }
        }
        let accountStates = accounts ?? [:]
        for (id, account) in accountStates where account.accountID != id {
            throw JSONReadError(
                .invalid("the account's account_id is \"\(account.accountID)\", not its key"), at: offset,
                path: [.key("accounts"), .key(id)])
        }
        return StateJournal.Change(
            accounts: accountStates.keys.sorted().compactMap { accountStates[$0] }, removedAccounts: removed ?? [],
            outbox: outbox ?? nil, outboxRemoved: outboxRemoved ?? [], outboxAdded: outboxAdded ?? [],
            outboxUpdated: outboxUpdated ?? [], webhooks: webhooks ?? nil)
    }

    mutating func outboxKey() throws(JSONReadError) -> OutboxKey {
        var eventID: String?
        var webhook: String?
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "event_id": try reader.once(&eventID, Self.string)
            case "webhook": try reader.once(&webhook, Self.string)
            default: try reader.skipValue()
            }
        }
        return OutboxKey(eventID: try required(eventID, "event_id"), webhook: try required(webhook, "webhook"))
    }
}
