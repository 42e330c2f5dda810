import SSOWatchConfig
import SSOWatchModel
extension StateJSONWriter.Writer {
    /// One `StateJournal` line: the keys of `change` that hold something, sorted, then a newline.
    mutating func journalLine(_ change: StateJournal.Change) {
        var separator = false
        func next(_ writer: inout StateJSONWriter.Writer) {
            if separator { writer.comma() }
            separator = true
        }
        raw("{")
        if !change.accounts.isEmpty {
            next(&self)
            raw("\"accounts\":{")
            let sorted = change.accounts.sorted { $0.accountID.utf8.lexicographicallyPrecedes($1.accountID.utf8) }
            for (index, account) in sorted.enumerated() {
                if index > 0 { comma() }
                key(account.accountID)
                self.account(account)
            }
            raw("}")
        }
        if let outbox = change.outbox {
            next(&self)
            raw("\"outbox\":")
            self.outbox(outbox)
        }
        if !change.outboxAdded.isEmpty {
            next(&self)
            raw("\"outbox_added\":")
            self.outbox(change.outboxAdded)
        }
        if !change.outboxRemoved.isEmpty {
            next(&self)
            raw("\"outbox_removed\":[")
            for (index, key) in change.outboxRemoved.enumerated() {
                if index > 0 { comma() }
                raw("{\"event_id\":")
                string(key.eventID)
                raw(",\"webhook\":")
                string(key.webhook)
                raw("}")
            }
            raw("]")
        }
        if !change.outboxUpdated.isEmpty {
            next(&self)
            raw("\"outbox_updated\":")
            self.outbox(change.outboxUpdated)
        }
        if !change.removedAccounts.isEmpty {
            next(&self)
            raw("\"removed_accounts\":[")
            for (index, id) in change.removedAccounts.enumerated() {
                if index > 0 { comma() }
                string(id)
            }
            raw("]")
        }
        if let webhooks = change.webhooks {
            next(&self)
            raw("\"webhooks\":")
            self.webhooks(webhooks)
        }
        raw("}\n")
    }
}
