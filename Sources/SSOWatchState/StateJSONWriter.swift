import Foundation
import SSOWatchConfig
import SSOWatchModel

/// Writes a `StateDocument` as exactly the bytes `StateCoding.encode` produces (keys sorted by their UTF-8
/// bytes, no whitespace, `/` unescaped, dates as seconds since 2001-01-01), and the state journal's lines.
///
/// With thousands of accounts `JSONEncoder`, which builds a tree of boxed values and then serialises it,
/// dominated the CPU profile of the state writes (BENCHMARKS.md); this writer does the same work several
/// times faster and without the intermediate tree. `StateJSONWriterTests` compares its output with
/// `StateCoding.encode` byte for byte. Keys are written in sorted order by hand: keep them so when adding one.
enum StateJSONWriter {
    /// Writes the document's JSON (the bytes of `encode`) to `sink` in pieces of about `chunkSize` bytes (one
    /// account at a time), so a state file of tens of megabytes is never held in memory whole. Returns false
    /// when the document holds a value JSON cannot express (see `encode`): what `sink` got is then incomplete.
    /// - Throws: what `sink` throws, at once.
    static func write(
        _ document: StateDocument, chunkSize: Int, to sink: ([UInt8]) throws(StateFileError) -> Void
    ) throws(StateFileError) -> Bool {
        var writer = Writer()
        writer.out.reserveCapacity(chunkSize + 64 * 1024)
        var complete = true
        try writer.document(document, complete: &complete) { out throws(StateFileError) in
            if out.count >= chunkSize {
                try sink(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        if complete, !writer.out.isEmpty { try sink(writer.out) }
        return complete
    }

    /// The document's JSON in one array, or `nil` when it holds a value JSON cannot express (a non-finite
    /// date). `StateFile.save` uses `write`; this whole-document form is what `StateJSONWriterTests` compare
    /// with `StateCoding.encode`.
    static func encode(_ document: StateDocument) -> [UInt8]? {
        var writer = Writer()
        // About 430 bytes a connector with a short history: one allocation, no regrowth to twice the size.
        let connectors = document.accounts.values.reduce(0) { $0 + $1.connectors.count }
        writer.out.reserveCapacity(
            4096 + document.accounts.count * 512 + connectors * 512 + document.outbox.count * 1024)
        guard writer.document(document) else { return nil }
        return writer.out
    }

    /// A `StateJournal` line, or `nil` when the change holds a value JSON cannot express (a non-finite date).
    static func journalLine(_ change: StateJournal.Change) -> [UInt8]? {
        var writer = Writer()
        guard writer.journalLine(change) else { return nil }
        return writer.out
    }

    struct Writer {
        var out: [UInt8] = []

        mutating func document(_ document: StateDocument) -> Bool {
            var complete = true
            // Nothing to flush to: the whole document stays in `out`.
            self.document(document, complete: &complete) { (_: inout [UInt8]) in }
            return complete
        }

        /// Writes the document, calling `flush` with `out` after each account (it may empty `out`); sets
        /// `complete` to false and stops at a value JSON cannot express.
        mutating func document<Failure: Error>(
            _ document: StateDocument, complete: inout Bool, flush: (inout [UInt8]) throws(Failure) -> Void
        ) throws(Failure) {
            raw("{\"accounts\":{")
            for (index, id) in sortedKeys(document.accounts).enumerated() {
                guard let account = document.accounts[id] else { continue }
                if index > 0 { comma() }
                key(id)
                guard self.account(account) else {
                    complete = false
                    return
                }
                try flush(&out)
            }
            raw("},\"journal_generation\":")
            int(document.journalGeneration)
            raw(",\"outbox\":")
            guard outbox(document.outbox) else {
                complete = false
                return
            }
            raw(",\"version\":")
            int(document.version)
            raw(",\"webhooks\":")
            guard webhooks(document.webhooks) else {
                complete = false
                return
            }
            raw("}")
        }

        /// A journal line (`StateJournal`): the same values as in the document, keys sorted, then a newline.
        mutating func outbox(_ outbox: some Collection<OutboxEntry>) -> Bool {
            raw("[")
            for (index, entry) in outbox.enumerated() {
                if index > 0 { comma() }
                guard outboxEntry(entry) else { return false }
            }
            raw("]")
            return true
        }

        mutating func webhooks(_ webhooks: [String: WebhookDeliveryState]) -> Bool {
            raw("{")
            for (index, name) in sortedKeys(webhooks).enumerated() {
                guard let webhook = webhooks[name] else { continue }
                if index > 0 { comma() }
                key(name)
                raw("{\"failing\":")
                bool(webhook.failing)
                if let error = webhook.lastError {
                    raw(",\"last_error\":")
                    string(error)
                }
                if let success = webhook.lastSuccess {
                    raw(",\"last_success\":")
                    guard date(success) else { return false }
                }
                raw("}")
            }
            raw("}")
            return true
        }

        mutating func account(_ account: AccountState) -> Bool {
            raw("{\"account_id\":")
            string(account.accountID)
            raw(",\"baseline_done\":")
            bool(account.baselineDone)
            raw(",\"connectors\":{")
            for (index, id) in sortedKeys(account.connectors).enumerated() {
                guard let connector = account.connectors[id] else { continue }
                if index > 0 { comma() }
                key(id)
                guard self.connector(connector) else { return false }
            }
            raw("},\"consecutive_failures\":")
            int(account.consecutiveFailures)
            if let error = account.lastError {
                raw(",\"last_error\":")
                string(error)
            }
            if let poll = account.lastPoll {
                raw(",\"last_poll\":")
                guard date(poll) else { return false }
            }
            if let success = account.lastSuccess {
                raw(",\"last_success\":")
                guard date(success) else { return false }
            }
            raw(",\"name\":")
            string(account.name)
            raw(",\"overdue\":")
            bool(account.overdue)
            raw("}")
            return true
        }

        mutating func connector(_ connector: ConnectorState) -> Bool {
            raw("{")
            if let domain = connector.emailDomain {
                raw("\"email_domain\":")
                string(domain)
                comma()
            }
            if let enabled = connector.enabled {
                raw("\"enabled\":")
                bool(enabled)
                comma()
            }
            raw("\"history\":[")
            for (index, record) in connector.history.enumerated() {
                if index > 0 { comma() }
                raw("{\"at\":")
                guard date(record.at) else { return false }
                if let eventID = record.eventID {
                    raw(",\"event_id\":")
                    string(eventID)
                }
                if let from = record.from {
                    raw(",\"from\":")
                    string(from.rawValue)
                }
                raw(",\"to\":")
                string(record.to.rawValue)
                raw("}")
            }
            raw("],\"id\":")
            string(connector.id)
            raw(",\"last_seen\":")
            guard date(connector.lastSeen) else { return false }
            raw(",\"missing_count\":")
            int(connector.missingCount)
            if let rawStatus = connector.rawStatus {
                raw(",\"raw_status\":")
                string(rawStatus)
            }
            if let status = connector.status {
                raw(",\"status\":")
                string(status.rawValue)
            }
            raw(",\"status_since\":")
            guard date(connector.statusSince) else { return false }
            raw(",\"stuck_notified\":")
            bool(connector.stuckNotified)
            if let code = connector.verificationCode {
                raw(",\"verification_code\":")
                string(code)
            }
            raw("}")
            return true
        }

        mutating func outboxEntry(_ entry: OutboxEntry) -> Bool {
            raw("{\"attempts\":")
            int(entry.attempts)
            raw(",\"enqueued_at\":")
            guard date(entry.enqueuedAt) else { return false }
            raw(",\"event\":")
            guard event(entry.event) else { return false }
            if let error = entry.lastError {
                raw(",\"last_error\":")
                string(error)
            }
            if let next = entry.nextAttemptAt {
                raw(",\"next_attempt_at\":")
                guard date(next) else { return false }
            }
            raw(",\"permanent_failure\":")
            bool(entry.permanentFailure)
            if let fingerprint = entry.urlFingerprint {
                raw(",\"url_fingerprint\":")
                string(fingerprint)
            }
            raw(",\"webhook\":")
            string(entry.webhook)
            raw("}")
            return true
        }

        mutating func event(_ event: ConnectorEvent) -> Bool {
            raw("{\"account_id\":")
            string(event.accountID)
            raw(",\"account_name\":")
            string(event.accountName)
            raw(",\"connector_id\":")
            string(event.connectorID)
            raw(",\"detected_at\":")
            guard date(event.detectedAt) else { return false }
            if let domain = event.emailDomain {
                raw(",\"email_domain\":")
                string(domain)
            }
            if let enabled = event.enabled {
                raw(",\"enabled\":")
                bool(enabled)
            }
            raw(",\"id\":")
            string(event.id)
            raw(",\"kind\":")
            string(event.kind.rawValue)
            if let previous = event.previousStatus {
                raw(",\"previous_status\":")
                string(previous.rawValue)
            }
            if let since = event.previousStatusSince {
                raw(",\"previous_status_since\":")
                guard date(since) else { return false }
            }
            raw(",\"status\":")
            string(event.status)
            if let code = event.verificationCode {
                raw(",\"verification_code\":")
                string(code)
            }
            raw("}")
            return true
        }

        // MARK: Scalars

        /// A dictionary's keys in `JSONEncoder`'s `.sortedKeys` order: by their UTF-8 bytes. Sorting the keys
        /// and looking the values up avoids copying every account and connector into a sorted array, which
        /// dominated writes of large states.
        func sortedKeys<Value>(_ dictionary: [String: Value]) -> [String] {
            dictionary.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }

        mutating func raw(_ text: StaticString) {
            text.withUTF8Buffer { out.append(contentsOf: $0) }
        }

        mutating func comma() { out.append(UInt8(ascii: ",")) }

        mutating func key(_ name: String) {
            string(name)
            out.append(UInt8(ascii: ":"))
        }

        mutating func bool(_ value: Bool) {
            if value { raw("true") } else { raw("false") }
        }

        mutating func int(_ value: Int) {
            out.append(contentsOf: String(value).utf8)
        }

        /// A date as `JSONEncoder` writes the `Double` of `StateCoding`'s strategy: its shortest round-trip
        /// description without a trailing `.0`. False for a non-finite value, which `JSONEncoder` rejects.
        mutating func date(_ date: Date) -> Bool {
            let seconds = date.timeIntervalSinceReferenceDate
            guard seconds.isFinite else { return false }
            var text = seconds.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            out.append(contentsOf: text.utf8)
            return true
        }

        /// A string escaped as `JSONEncoder` escapes it: `"` `\` and control characters (`\b \f \n \r \t`,
        /// the others as `\u00xx`), everything else (`/` and non-ASCII included) as is.
        mutating func string(_ value: String) {
            out.append(UInt8(ascii: "\""))
            // Most strings (ids, domains, names) need no escape: copy them whole.
            if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                out.append(contentsOf: value.utf8)
                out.append(UInt8(ascii: "\""))
                return
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0x08: raw("\\b")
                case 0x0C: raw("\\f")
                case 0..<0x20:
                    raw("\\u00")
                    out.append(Self.hexDigits[Int(byte >> 4)])
                    out.append(Self.hexDigits[Int(byte & 0x0F)])
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }

        static let hexDigits = Array("0123456789abcdef".utf8)
    }
}
