import Foundation
import SSOWatchConfig
import SSOWatchModel

/// Reads a state file written by `StateJSONWriter` straight into a `StateDocument`, without
/// `JSONDecoder`.
///
/// Decoding a 4.3 MB state file (10,000 connectors) with `JSONDecoder` took two thirds of the time from
/// exec to `READY=1` on a restart (BENCHMARKS.md). This reader knows the format and builds the values
/// directly. It is strict on purpose: anything it was not written for — an unknown or repeated key, a
/// number written another way, a BOM, invalid UTF-8, an unknown status — makes it return `nil`, and the
/// caller decodes with `JSONDecoder`, which accepts or rejects the file and words the error exactly as
/// before. So it can only make a file load faster, never change whether or how it loads;
/// `StateJSONReaderTests` checks that against `JSONDecoder` on the files the writer produces and on
/// damaged ones.
enum StateJSONReader {
    /// The document, or `nil` when `JSONDecoder` must decide.
    static func decode(_ bytes: [UInt8]) -> StateDocument? {
        JSONByteReader.read(bytes) { $0.document() }
    }
}

/// The state file's types, read as `StateJSONWriter` writes them.
extension JSONByteReader {
    mutating func document() -> StateDocument? {
        var version: Int?
        var accounts: [String: AccountState]?
        var outbox: [OutboxEntry]?
        var webhooks: [String: WebhookDeliveryState]?
        var generation: Int?? = .none
        let complete = object { reader, key in
            switch key {
            case "version": return Self.once(&version, reader.int())
            case "accounts": return Self.once(&accounts, reader.dictionary { $0.account() })
            case "outbox": return Self.once(&outbox, reader.array { $0.outboxEntry() })
            case "webhooks": return Self.once(&webhooks, reader.dictionary { $0.webhook() })
            case "journal_generation": return reader.onceOptional(&generation) { $0.int() }
            default: return false
            }
        }
        guard complete, let version, let accounts, let outbox, let webhooks else { return nil }
        return StateDocument(
            version: version, accounts: accounts, outbox: outbox, webhooks: webhooks,
            journalGeneration: (generation ?? nil) ?? 0)
    }

    mutating func account() -> AccountState? {
        var accountID: String?
        var name: String?
        var baselineDone: Bool?
        var lastPoll: Date?? = .none
        var lastSuccess: Date?? = .none
        var lastError: String?? = .none
        var failures: Int?
        var overdue: Bool?
        var connectors: [String: ConnectorState]?
        let complete = object { reader, key in
            switch key {
            case "account_id": return Self.once(&accountID, reader.string())
            case "name": return Self.once(&name, reader.string())
            case "baseline_done": return Self.once(&baselineDone, reader.bool())
            case "last_poll": return reader.onceOptional(&lastPoll) { $0.date() }
            case "last_success": return reader.onceOptional(&lastSuccess) { $0.date() }
            case "last_error": return reader.onceOptional(&lastError) { $0.string() }
            case "consecutive_failures": return Self.once(&failures, reader.int())
            case "overdue": return Self.once(&overdue, reader.bool())
            case "connectors": return Self.once(&connectors, reader.dictionary { $0.connector() })
            default: return false
            }
        }
        guard complete, let accountID, let name, let baselineDone, let failures, let connectors else { return nil }
        return AccountState(
            accountID: accountID, name: name, baselineDone: baselineDone, lastPoll: lastPoll ?? nil,
            lastSuccess: lastSuccess ?? nil, lastError: lastError ?? nil, consecutiveFailures: failures,
            overdue: overdue ?? false, connectors: connectors)
    }

    mutating func connector() -> ConnectorState? {
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
        let complete = object { reader, key in
            switch key {
            case "id": return Self.once(&id, reader.string())
            case "email_domain": return reader.onceOptional(&domain) { $0.string() }
            case "enabled": return reader.onceOptional(&enabled) { $0.bool() }
            case "status": return reader.onceOptional(&status) { $0.status() }
            case "raw_status": return reader.onceOptional(&rawStatus) { $0.string() }
            case "status_since": return Self.once(&since, reader.date())
            case "last_seen": return Self.once(&lastSeen, reader.date())
            case "missing_count": return Self.once(&missing, reader.int())
            case "stuck_notified": return Self.once(&stuck, reader.bool())
            case "verification_code": return reader.onceOptional(&code) { $0.string() }
            case "history": return Self.once(&history, reader.array { $0.transition() })
            default: return false
            }
        }
        guard complete, let id, let since, let lastSeen, let missing, let stuck, let history else { return nil }
        return ConnectorState(
            id: id, emailDomain: domain ?? nil, enabled: enabled ?? nil, status: status ?? nil,
            rawStatus: rawStatus ?? nil, statusSince: since, lastSeen: lastSeen, missingCount: missing,
            stuckNotified: stuck, verificationCode: code ?? nil, history: history)
    }

    mutating func transition() -> TransitionRecord? {
        var at: Date?
        var from: VerificationStatus?? = .none
        var to: VerificationStatus?
        var eventID: String?? = .none
        let complete = object { reader, key in
            switch key {
            case "at": return Self.once(&at, reader.date())
            case "from": return reader.onceOptional(&from) { $0.status() }
            case "to": return Self.once(&to, reader.status())
            case "event_id": return reader.onceOptional(&eventID) { $0.string() }
            default: return false
            }
        }
        guard complete, let at, let to else { return nil }
        return TransitionRecord(at: at, from: from ?? nil, to: to, eventID: eventID ?? nil)
    }

    mutating func outboxEntry() -> OutboxEntry? {
        var event: ConnectorEvent?
        var webhook: String?
        var enqueuedAt: Date?
        var attempts: Int?
        var next: Date?? = .none
        var lastError: String?? = .none
        var permanent: Bool?
        var fingerprint: String?? = .none
        let complete = object { reader, key in
            switch key {
            case "event": return Self.once(&event, reader.event())
            case "webhook": return Self.once(&webhook, reader.string())
            case "enqueued_at": return Self.once(&enqueuedAt, reader.date())
            case "attempts": return Self.once(&attempts, reader.int())
            case "next_attempt_at": return reader.onceOptional(&next) { $0.date() }
            case "last_error": return reader.onceOptional(&lastError) { $0.string() }
            case "permanent_failure": return Self.once(&permanent, reader.bool())
            case "url_fingerprint": return reader.onceOptional(&fingerprint) { $0.string() }
            default: return false
            }
        }
        guard complete, let event, let webhook, let enqueuedAt, let attempts, let permanent else { return nil }
        return OutboxEntry(
            event: event, webhook: webhook, enqueuedAt: enqueuedAt, attempts: attempts, nextAttemptAt: next ?? nil,
            lastError: lastError ?? nil, permanentFailure: permanent, urlFingerprint: fingerprint ?? nil)
    }

    mutating func event() -> ConnectorEvent? {
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
        let complete = object { reader, key in
            switch key {
            case "id": return Self.once(&id, reader.string())
            case "kind": return Self.once(&kind, reader.string().flatMap(EventKind.init(rawValue:)))
            case "detected_at": return Self.once(&detectedAt, reader.date())
            case "account_name": return Self.once(&accountName, reader.string())
            case "account_id": return Self.once(&accountID, reader.string())
            case "connector_id": return Self.once(&connectorID, reader.string())
            case "email_domain": return reader.onceOptional(&domain) { $0.string() }
            case "enabled": return reader.onceOptional(&enabled) { $0.bool() }
            case "status": return Self.once(&status, reader.string())
            case "previous_status": return reader.onceOptional(&previous) { $0.status() }
            case "previous_status_since": return reader.onceOptional(&previousSince) { $0.date() }
            case "verification_code": return reader.onceOptional(&code) { $0.string() }
            default: return false
            }
        }
        guard complete, let id, let kind, let detectedAt, let accountName, let accountID, let connectorID,
            let status
        else { return nil }
        return ConnectorEvent(
            id: id, kind: kind, detectedAt: detectedAt, accountName: accountName, accountID: accountID,
            connectorID: connectorID, emailDomain: domain ?? nil, enabled: enabled ?? nil, status: status,
            previousStatus: previous ?? nil, previousStatusSince: previousSince ?? nil,
            verificationCode: code ?? nil)
    }

    mutating func webhook() -> WebhookDeliveryState? {
        var failing: Bool?
        var lastError: String?? = .none
        var lastSuccess: Date?? = .none
        let complete = object { reader, key in
            switch key {
            case "failing": return Self.once(&failing, reader.bool())
            case "last_error": return reader.onceOptional(&lastError) { $0.string() }
            case "last_success": return reader.onceOptional(&lastSuccess) { $0.date() }
            default: return false
            }
        }
        guard complete, let failing else { return nil }
        return WebhookDeliveryState(lastError: lastError ?? nil, failing: failing, lastSuccess: lastSuccess ?? nil)
    }

    mutating func status() -> VerificationStatus? {
        string().flatMap(VerificationStatus.init(rawValue:))
    }

    /// A date as `StateCoding` writes it, within `StateCoding.dateRange`.
    mutating func date() -> Date? {
        guard let seconds = double() else { return nil }
        let date = Date(timeIntervalSinceReferenceDate: seconds)
        return StateCoding.dateRange.contains(date) ? date : nil
    }
}
