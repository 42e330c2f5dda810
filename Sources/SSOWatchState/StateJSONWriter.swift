import Foundation
import SSOWatchConfig
import SSOWatchModel

/// Writes a `StateDocument` as the state file holds it (docs/STATE.md: keys sorted by their UTF-8 bytes, no
/// whitespace, `/` unescaped, dates as seconds since 2001-01-01), and the state journal's lines: the one
/// encoder of the format, as `StateJSONReader` is its one decoder.
///
/// It writes bytes directly, without a tree of values in between: with thousands of accounts Foundation's encoder
/// dominated the CPU profile of the state writes (BENCHMARKS.md). Keys are written in sorted order by hand:
/// keep them so when adding one.
///
/// Every document can be written, and what is written reads back (`StateJSONReaderTests`): strings are
/// always escapable, and a value the format cannot hold — a date outside `StateCoding.dateRange` (a
/// non-finite one included) or a count outside `0...StateCoding.maximumCount`, which only a bug could
/// produce — is written clamped into its range, so one wrong value never costs the whole state.
enum StateJSONWriter {
    /// Writes the document's JSON (the bytes of `encode`) to `sink` in pieces of about `chunkSize` bytes (one
    /// account at a time), so a state file of tens of megabytes is never held in memory whole.
    /// - Throws: what `sink` throws, at once.
    static func write(
        _ document: StateDocument, chunkSize: Int, to sink: ([UInt8]) throws(StateFileError) -> Void
    ) throws(StateFileError) {
        var writer = Writer()
        writer.out.reserveCapacity(chunkSize + 64 * 1024)
        try writer.document(document) { out throws(StateFileError) in
            if out.count >= chunkSize {
                try sink(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        if !writer.out.isEmpty { try sink(writer.out) }
    }

    /// The document's JSON in one array. `StateFile.save` uses `write`.
    static func encode(_ document: StateDocument) -> [UInt8] {
        var writer = Writer()
        // About 430 bytes a connector with a short history: one allocation, no regrowth to twice the size.
        let connectors = document.accounts.values.reduce(0) { $0 + $1.connectors.count }
        writer.out.reserveCapacity(
            4096 + document.accounts.count * 512 + connectors * 512 + document.outbox.count * 1024)
        // Nothing to flush to: the whole document stays in `out`.
        writer.document(document) { (_: inout [UInt8]) in }
        return writer.out
    }

    /// A `StateJournal` line, newline included.
    static func journalLine(_ change: StateJournal.Change) -> [UInt8] {
        var writer = Writer()
        writer.journalLine(change)
        return writer.out
    }

    struct Writer {
        var out: [UInt8] = []

        /// Writes the document, calling `flush` with `out` after each account (it may empty `out`).
        mutating func document<Failure: Error>(
            _ document: StateDocument, flush: (inout [UInt8]) throws(Failure) -> Void
        ) throws(Failure) {
            raw("{\"accounts\":{")
            for (index, id) in sortedKeys(document.accounts).enumerated() {
                guard let account = document.accounts[id] else { continue }
                if index > 0 { comma() }
                key(id)
                self.account(account)
                try flush(&out)
            }
            raw("},\"journal_generation\":")
            int(document.journalGeneration)
            raw(",\"outbox\":")
            outbox(document.outbox)
            raw(",\"version\":")
            int(document.version)
            raw(",\"webhooks\":")
            webhooks(document.webhooks)
            raw("}")
        }

        /// A journal line (`StateJournal`): the same values as in the document, keys sorted, then a newline.
        mutating func outbox(_ outbox: some Collection<OutboxEntry>) {
            raw("[")
            for (index, entry) in outbox.enumerated() {
                if index > 0 { comma() }
                outboxEntry(entry)
            }
            raw("]")
        }

        mutating func webhooks(_ webhooks: [String: WebhookDeliveryState]) {
            raw("{")
            for (index, name) in sortedKeys(webhooks).enumerated() {
                guard let webhook = webhooks[name] else { continue }
                if index > 0 { comma() }
                key(name)
                self.webhook(webhook)
            }
            raw("}")
        }

        mutating func webhook(_ webhook: WebhookDeliveryState) {
            raw("{\"failing\":")
            bool(webhook.failing)
            if let error = webhook.lastError {
                raw(",\"last_error\":")
                string(error)
            }
            if let success = webhook.lastSuccess {
                raw(",\"last_success\":")
                date(success)
            }
            raw("}")
        }

        mutating func account(_ account: AccountState) {
            raw("{\"account_id\":")
            string(account.accountID)
            raw(",\"baseline_done\":")
            bool(account.baselineDone)
            raw(",\"connectors\":{")
            for (index, id) in sortedKeys(account.connectors).enumerated() {
                guard let connector = account.connectors[id] else { continue }
                if index > 0 { comma() }
                key(id)
                self.connector(connector)
            }
            raw("},\"consecutive_failures\":")
            count(account.consecutiveFailures)
            if let error = account.lastError {
                raw(",\"last_error\":")
                string(error)
            }
            if let poll = account.lastPoll {
                raw(",\"last_poll\":")
                date(poll)
            }
            if let success = account.lastSuccess {
                raw(",\"last_success\":")
                date(success)
            }
            raw(",\"name\":")
            string(account.name)
            raw(",\"overdue\":")
            bool(account.overdue)
            raw("}")
        }

        mutating func connector(_ connector: ConnectorState) {
            raw("{")
            if let record = connector.autoBegin {
                raw("\"auto_begin\":")
                autoBeginRecord(record)
                comma()
            }
            if let dns = connector.dns {
                raw("\"dns\":")
                dnsCheck(dns)
                comma()
            }
            if let episode = connector.dnsEpisode {
                raw("\"dns_episode\":")
                dnsEpisode(episode)
                comma()
            }
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
                date(record.at)
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
            date(connector.lastSeen)
            raw(",\"missing_count\":")
            count(connector.missingCount)
            if let rawStatus = connector.rawStatus {
                raw(",\"raw_status\":")
                string(rawStatus)
            }
            if let status = connector.status {
                raw(",\"status\":")
                string(status.rawValue)
            }
            raw(",\"status_since\":")
            date(connector.statusSince)
            raw(",\"stuck_notified\":")
            bool(connector.stuckNotified)
            if let code = connector.verificationCode {
                raw(",\"verification_code\":")
                string(code)
            }
            raw("}")
        }

        mutating func outboxEntry(_ entry: OutboxEntry) {
            raw("{\"attempts\":")
            count(entry.attempts)
            raw(",\"enqueued_at\":")
            date(entry.enqueuedAt)
            raw(",\"event\":")
            event(entry.event)
            if let error = entry.lastError {
                raw(",\"last_error\":")
                string(error)
            }
            if let next = entry.nextAttemptAt {
                raw(",\"next_attempt_at\":")
                date(next)
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
        }

        mutating func event(_ event: ConnectorEvent) {
            raw("{\"account_id\":")
            string(event.accountID)
            raw(",\"account_name\":")
            string(event.accountName)
            if let assist = event.assist {
                raw(",\"assist\":")
                autoBeginReport(assist)
            }
            if let mode = event.autoBegin {
                raw(",\"auto_begin\":")
                string(mode.rawValue)
            }
            raw(",\"connector_id\":")
            string(event.connectorID)
            raw(",\"detected_at\":")
            date(event.detectedAt)
            if let dns = event.dns {
                raw(",\"dns\":")
                dnsCheck(dns)
            }
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
                date(since)
            }
            raw(",\"status\":")
            string(event.status)
            if let code = event.verificationCode {
                raw(",\"verification_code\":")
                string(code)
            }
            raw("}")
        }

        // MARK: Scalars

        /// A dictionary's keys in sorted order: by their UTF-8 bytes. Sorting the keys
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

        /// A counter, clamped into `0...StateCoding.maximumCount` (see `StateJSONWriter`).
        mutating func count(_ value: Int) {
            int(min(max(value, 0), StateCoding.maximumCount))
        }

        /// A date as seconds since 2001-01-01: the shortest description that reads back as the same `Double`,
        /// without a trailing `.0`. Clamped into `StateCoding.dateRange` (see `StateJSONWriter`).
        mutating func date(_ date: Date) {
            var seconds = date.timeIntervalSinceReferenceDate
            let range = StateCoding.dateRange
            if !(seconds >= range.lowerBound.timeIntervalSinceReferenceDate) {
                seconds = range.lowerBound.timeIntervalSinceReferenceDate  // NaN included
            } else if seconds > range.upperBound.timeIntervalSinceReferenceDate {
                seconds = range.upperBound.timeIntervalSinceReferenceDate
            }
            var text = seconds.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            out.append(contentsOf: text.utf8)
        }

        /// A string escaped as Foundation's encoder would: `"` `\` and control characters (`\b \f \n \r \t`,
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
