import Foundation
import SSOWatchConfig
import SSOWatchDNS
import SSOWatchModel

/// Reads the state file (docs/STATE.md) straight into a `StateDocument`: the one decoder of the format, as
/// `StateJSONWriter` is its one encoder.
///
/// It reads values directly, without a tree in between: decoding a 4.3 MB state file (10,000 connectors) with
/// Foundation's decoder took two thirds of the time from exec to `READY=1` on a restart (BENCHMARKS.md). What
/// it accepts besides what the writer writes, it accepts as Foundation's decoder did before it: whitespace, unknown keys
/// (ignored), `null` for a key that may be absent, whole numbers written `2.0`, other spellings of the same
/// string, a repeated key (the first counts). Anything else — including a date outside
/// `StateCoding.dateRange`, a count outside `0...StateCoding.maximumCount`, an unknown status — throws a
/// `JSONReadError` naming the key and what is wrong.
enum StateJSONReader {
    /// The document in `bytes` (UTF-8), whatever its version.
    static func document(_ bytes: [UInt8]) throws(JSONReadError) -> StateDocument {
        try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in try reader.document() }
    }

    /// What the top level of a state file says about its version, for a file `document` could not read: a
    /// file of a newer version may look like anything else, and is refused rather than moved aside.
    enum VersionProbe: Equatable {
        /// The version.
        case version(Int)
        /// Why there is none to read: the text is not JSON, not an object, or has no usable `version`.
        case unreadable(String)
    }

    /// Reads only the top-level `version` (checking the syntax of everything else).
    static func probeVersion(_ bytes: [UInt8]) -> VersionProbe {
        var version: Int?? = .none
        var versionError: String?
        do throws(JSONReadError) {
            try JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in
                try reader.object { (reader, key) throws(JSONReadError) in
                    guard key == "version", case .none = version, versionError == nil else {
                        return try reader.skipValue()
                    }
                    let raw = try reader.rawValue()
                    do throws(JSONReadError) {
                        version = .some(
                            try JSONByteReader.read(raw) { (r) throws(JSONReadError) in
                                try r.optional(JSONByteReader.int)
                            })
                    } catch {
                        if case .invalid = error.problem {
                            versionError = "unknown format version \(String(decoding: raw, as: UTF8.self))"
                        } else {
                            versionError = error.inside(.key("version")).description
                        }
                    }
                }
            }
        } catch {
            return .unreadable(error.description)
        }
        if let versionError { return .unreadable(versionError) }
        guard case .some(let found?) = version else { return .unreadable("missing key \"version\"") }
        return .version(found)
    }
}

/// The state file's types, read as docs/STATE.md describes them.
extension JSONByteReader {
    mutating func document() throws(JSONReadError) -> StateDocument {
        var version: Int?
        var accounts: [String: AccountState]?
        var outbox: [OutboxEntry]?
        var webhooks: [String: WebhookDeliveryState]?
        var generation: Int?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "version": try reader.once(&version, Self.int)
            case "accounts": try reader.once(&accounts, Self.accounts)
            case "outbox": try reader.once(&outbox, Self.outbox)
            case "webhooks": try reader.once(&webhooks, Self.webhooks)
            case "journal_generation": try reader.onceOptional(&generation, Self.int)
            default: try reader.skipValue()
            }
        }
        return StateDocument(
            version: try required(version, "version"), accounts: try required(accounts, "accounts"),
            outbox: try required(outbox, "outbox"), webhooks: try required(webhooks, "webhooks"),
            journalGeneration: (generation ?? nil) ?? 0)
    }

    static func accounts(_ reader: inout JSONByteReader) throws(JSONReadError) -> [String: AccountState] {
        try reader.dictionary { (r) throws(JSONReadError) in try r.account() }
    }

    static func outbox(_ reader: inout JSONByteReader) throws(JSONReadError) -> [OutboxEntry] {
        try reader.array { (r) throws(JSONReadError) in try r.outboxEntry() }
    }

    static func webhooks(_ reader: inout JSONByteReader) throws(JSONReadError) -> [String: WebhookDeliveryState] {
        try reader.dictionary { (r) throws(JSONReadError) in try r.webhook() }
    }

    static func int(_ reader: inout JSONByteReader) throws(JSONReadError) -> Int { try reader.int() }
    static func string(_ reader: inout JSONByteReader) throws(JSONReadError) -> String { try reader.string() }
    static func bool(_ reader: inout JSONByteReader) throws(JSONReadError) -> Bool { try reader.bool() }
    static func date(_ reader: inout JSONByteReader) throws(JSONReadError) -> Date { try reader.date() }
    static func count(_ reader: inout JSONByteReader) throws(JSONReadError) -> Int { try reader.count() }
    static func status(_ reader: inout JSONByteReader) throws(JSONReadError) -> VerificationStatus {
        try reader.status()
    }

    mutating func account() throws(JSONReadError) -> AccountState {
        var accountID: String?
        var name: String?
        var baselineDone: Bool?
        var lastPoll: Date?? = .none
        var lastSuccess: Date?? = .none
        var lastError: String?? = .none
        var failures: Int?
        var overdue: Bool?? = .none
        var connectors: [String: ConnectorState]?
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "account_id": try reader.once(&accountID, Self.string)
            case "name": try reader.once(&name, Self.string)
            case "baseline_done": try reader.once(&baselineDone, Self.bool)
            case "last_poll": try reader.onceOptional(&lastPoll, Self.date)
            case "last_success": try reader.onceOptional(&lastSuccess, Self.date)
            case "last_error": try reader.onceOptional(&lastError, Self.string)
            case "consecutive_failures": try reader.once(&failures, Self.count)
            case "overdue": try reader.onceOptional(&overdue, Self.bool)
            case "connectors":
                try reader.once(&connectors) { (r) throws(JSONReadError) in
                    try r.dictionary { (r) throws(JSONReadError) in try r.connector() }
                }
            default: try reader.skipValue()
            }
        }
        return AccountState(
            accountID: try required(accountID, "account_id"), name: try required(name, "name"),
            baselineDone: try required(baselineDone, "baseline_done"), lastPoll: lastPoll ?? nil,
            lastSuccess: lastSuccess ?? nil, lastError: lastError ?? nil,
            consecutiveFailures: try required(failures, "consecutive_failures"), overdue: (overdue ?? nil) ?? false,
            connectors: try required(connectors, "connectors"))
    }

    mutating func connector() throws(JSONReadError) -> ConnectorState {
        var id: String?
        var domain: String?? = .none
        var enabled: Bool?? = .none
        var status: VerificationStatus?? = .none
        var rawStatus: String?? = .none
        var since: Date?
        var lastSeen: Date?
        var missing: Int?
        var stuck: Bool?
        var code: String?? = .none
        var history: [TransitionRecord]?
        var dns: DNSRecordCheck?? = .none
        var episode: DNSEpisode?? = .none
        var autoBegin: AutoBeginRecord?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "auto_begin":
                try reader.onceOptional(&autoBegin) { (r) throws(JSONReadError) in try r.autoBeginRecord() }
            case "dns": try reader.onceOptional(&dns) { (r) throws(JSONReadError) in try r.dnsCheck() }
            case "dns_episode": try reader.onceOptional(&episode) { (r) throws(JSONReadError) in try r.dnsEpisode() }
            case "id": try reader.once(&id, Self.string)
            case "email_domain": try reader.onceOptional(&domain, Self.string)
            case "enabled": try reader.onceOptional(&enabled, Self.bool)
            case "status": try reader.onceOptional(&status, Self.status)
            case "raw_status": try reader.onceOptional(&rawStatus, Self.string)
            case "status_since": try reader.once(&since, Self.date)
            case "last_seen": try reader.once(&lastSeen, Self.date)
            case "missing_count": try reader.once(&missing, Self.count)
            case "stuck_notified": try reader.once(&stuck, Self.bool)
            case "verification_code": try reader.onceOptional(&code, Self.string)
            case "history":
                try reader.once(&history) { (r) throws(JSONReadError) in
                    try r.array { (r) throws(JSONReadError) in try r.transition() }
                }
            default: try reader.skipValue()
            }
        }
        return ConnectorState(
            id: try required(id, "id"), emailDomain: domain ?? nil, enabled: enabled ?? nil, status: status ?? nil,
            rawStatus: rawStatus ?? nil, statusSince: try required(since, "status_since"),
            lastSeen: try required(lastSeen, "last_seen"), missingCount: try required(missing, "missing_count"),
            stuckNotified: try required(stuck, "stuck_notified"), verificationCode: code ?? nil,
            history: try required(history, "history"), dns: dns ?? nil, dnsEpisode: episode ?? nil,
            autoBegin: autoBegin ?? nil)
    }

    mutating func transition() throws(JSONReadError) -> TransitionRecord {
        var at: Date?
        var from: VerificationStatus?? = .none
        var to: VerificationStatus?
        var eventID: String?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "at": try reader.once(&at, Self.date)
            case "from": try reader.onceOptional(&from, Self.status)
            case "to": try reader.once(&to, Self.status)
            case "event_id": try reader.onceOptional(&eventID, Self.string)
            default: try reader.skipValue()
            }
        }
        return TransitionRecord(
            at: try required(at, "at"), from: from ?? nil, to: try required(to, "to"), eventID: eventID ?? nil)
    }

    mutating func outboxEntry() throws(JSONReadError) -> OutboxEntry {
        var event: ConnectorEvent?
        var webhook: String?
        var enqueuedAt: Date?
        var attempts: Int?
        var next: Date?? = .none
        var lastError: String?? = .none
        var permanent: Bool?
        var fingerprint: String?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "event": try reader.once(&event) { (r) throws(JSONReadError) in try r.event() }
            case "webhook": try reader.once(&webhook, Self.string)
            case "enqueued_at": try reader.once(&enqueuedAt, Self.date)
            case "attempts": try reader.once(&attempts, Self.count)
            case "next_attempt_at": try reader.onceOptional(&next, Self.date)
            case "last_error": try reader.onceOptional(&lastError, Self.string)
            case "permanent_failure": try reader.once(&permanent, Self.bool)
            case "url_fingerprint": try reader.onceOptional(&fingerprint, Self.string)
            default: try reader.skipValue()
            }
        }
        return OutboxEntry(
            event: try required(event, "event"), webhook: try required(webhook, "webhook"),
            enqueuedAt: try required(enqueuedAt, "enqueued_at"), attempts: try required(attempts, "attempts"),
            nextAttemptAt: next ?? nil, lastError: lastError ?? nil,
            permanentFailure: try required(permanent, "permanent_failure"), urlFingerprint: fingerprint ?? nil)
    }

    mutating func event() throws(JSONReadError) -> ConnectorEvent {
        var id: String?
        var kind: EventKind?
        var detectedAt: Date?
        var accountName: String?
        var accountID: String?
        var connectorID: String?
        var domain: String?? = .none
        var enabled: Bool?? = .none
        var status: String?
        var previous: VerificationStatus?? = .none
        var previousSince: Date?? = .none
        var code: String?? = .none
        var dns: DNSRecordCheck?? = .none
        var assist: AutoBeginReport?? = .none
        var autoBegin: AutoBeginMode?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "assist": try reader.onceOptional(&assist) { (r) throws(JSONReadError) in try r.autoBeginReport() }
            case "auto_begin":
                try reader.onceOptional(&autoBegin) { (r) throws(JSONReadError) in try r.autoBeginMode() }
            case "dns": try reader.onceOptional(&dns) { (r) throws(JSONReadError) in try r.dnsCheck() }
            case "id": try reader.once(&id, Self.string)
            case "kind": try reader.once(&kind) { (r) throws(JSONReadError) in try r.eventKind() }
            case "detected_at": try reader.once(&detectedAt, Self.date)
            case "account_name": try reader.once(&accountName, Self.string)
            case "account_id": try reader.once(&accountID, Self.string)
            case "connector_id": try reader.once(&connectorID, Self.string)
            case "email_domain": try reader.onceOptional(&domain, Self.string)
            case "enabled": try reader.onceOptional(&enabled, Self.bool)
            case "status": try reader.once(&status, Self.string)
            case "previous_status": try reader.onceOptional(&previous, Self.status)
            case "previous_status_since": try reader.onceOptional(&previousSince, Self.date)
            case "verification_code": try reader.onceOptional(&code, Self.string)
            default: try reader.skipValue()
            }
        }
        return ConnectorEvent(
            id: try required(id, "id"), kind: try required(kind, "kind"),
            detectedAt: try required(detectedAt, "detected_at"), accountName: try required(accountName, "account_name"),
            accountID: try required(accountID, "account_id"), connectorID: try required(connectorID, "connector_id"),
            emailDomain: domain ?? nil, enabled: enabled ?? nil, status: try required(status, "status"),
            previousStatus: previous ?? nil, previousStatusSince: previousSince ?? nil, verificationCode: code ?? nil,
            dns: dns ?? nil, assist: assist ?? nil, autoBegin: autoBegin ?? nil)
    }

    mutating func webhook() throws(JSONReadError) -> WebhookDeliveryState {
        var failing: Bool?
        var lastError: String?? = .none
        var lastSuccess: Date?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "failing": try reader.once(&failing, Self.bool)
            case "last_error": try reader.onceOptional(&lastError, Self.string)
            case "last_success": try reader.onceOptional(&lastSuccess, Self.date)
            default: try reader.skipValue()
            }
        }
        return WebhookDeliveryState(
            lastError: lastError ?? nil, failing: try required(failing, "failing"), lastSuccess: lastSuccess ?? nil)
    }

    mutating func status() throws(JSONReadError) -> VerificationStatus {
        skipWhitespace()
        let start = offset
        let text = try string()
        guard let status = VerificationStatus(rawValue: text) else {
            throw JSONReadError(.invalid("unknown status \(JSONValue.string(text).text)"), at: start)
        }
        return status
    }

    mutating func eventKind() throws(JSONReadError) -> EventKind {
        skipWhitespace()
        let start = offset
        let text = try string()
        guard let kind = EventKind(rawValue: text) else {
            throw JSONReadError(.invalid("unknown event kind \(JSONValue.string(text).text)"), at: start)
        }
        return kind
    }

    /// A date as `StateJSONWriter` writes it, within `StateCoding.dateRange`.
    mutating func date() throws(JSONReadError) -> Date {
        skipWhitespace()
        let start = offset
        let date = Date(timeIntervalSinceReferenceDate: try double())
        guard StateCoding.dateRange.contains(date) else {
            throw JSONReadError(
                .invalid("date \(text(from: start)) is out of range (1970 to 9999, in seconds since 2001)"),
                at: start)
        }
        return date
    }

    /// A counter, within `0...StateCoding.maximumCount`.
    mutating func count() throws(JSONReadError) -> Int {
        skipWhitespace()
        let start = offset
        let value: Int
        do throws(JSONReadError) {
            value = try int()
        } catch {
            guard case .invalid = error.problem else { throw error }
            value = -1  // too large for an integer: out of range all the same
        }
        guard (0...StateCoding.maximumCount).contains(value) else {
            throw JSONReadError(
                .invalid("count \(text(from: start)) is out of range (0 to \(StateCoding.maximumCount))"), at: start)
        }
        return value
    }
}
