import Foundation

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
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            guard let document = reader.document(), reader.atEnd() else { return nil }
            return document
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        // MARK: The state file's types

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
                case "connectors": return Self.once(&connectors, reader.dictionary { $0.connector() })
                default: return false
                }
            }
            guard complete, let accountID, let name, let baselineDone, let failures, let connectors else { return nil }
            return AccountState(
                accountID: accountID, name: name, baselineDone: baselineDone, lastPoll: lastPoll ?? nil,
                lastSuccess: lastSuccess ?? nil, lastError: lastError ?? nil, consecutiveFailures: failures,
                connectors: connectors)
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

        // MARK: Keys seen once

        /// Stores a required value; false when it is missing (wrong type) or the key came before.
        static func once<T>(_ slot: inout T?, _ value: T?) -> Bool {
            guard slot == nil, let value else { return false }
            slot = value
            return true
        }

        /// Stores an optional value, `null` included; false when the key came before or the value is invalid.
        mutating func onceOptional<T>(_ slot: inout T??, _ read: (inout Reader) -> T?) -> Bool {
            guard case .none = slot else { return false }
            if literal("null") {
                slot = .some(nil)
                return true
            }
            guard let value = read(&self) else { return false }
            slot = .some(value)
            return true
        }

        // MARK: JSON

        /// Reads `{ "key": value, … }`, handing each key to `member`, which reads the value; false when
        /// the object is malformed or `member` refuses.
        mutating func object(_ member: (inout Reader, String) -> Bool) -> Bool {
            guard byte("{") else { return false }
            if byte("}") { return true }
            repeat {
                guard let key = string(), byte(":"), member(&self, key) else { return false }
            } while byte(",")
            return byte("}")
        }

        /// Reads an object whose keys are ids or names; false on a repeated key.
        mutating func dictionary<T>(_ element: (inout Reader) -> T?) -> [String: T]? {
            var result: [String: T] = [:]
            let complete = object { reader, key in
                guard result[key] == nil, let value = element(&reader) else { return false }
                result[key] = value
                return true
            }
            return complete ? result : nil
        }

        mutating func array<T>(_ element: (inout Reader) -> T?) -> [T]? {
            guard byte("[") else { return nil }
            var result: [T] = []
            if byte("]") { return result }
            repeat {
                guard let value = element(&self) else { return nil }
                result.append(value)
            } while byte(",")
            return byte("]") ? result : nil
        }

        mutating func bool() -> Bool? {
            if literal("true") { return true }
            if literal("false") { return false }
            return nil
        }

        /// An integer written as digits (no fraction or exponent) that fits in `Int`.
        mutating func int() -> Int? {
            skipWhitespace()
            var position = index
            let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            let digitsStart = position
            var value = 0
            while position < bytes.count, case let digit = bytes[position], digit >= 0x30 && digit <= 0x39 {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int(digit - 0x30) * (negative ? -1 : 1))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                position += 1
            }
            let count = position - digitsStart
            guard count > 0, count == 1 || bytes[digitsStart] != 0x30, !continuesNumber(at: position) else {
                return nil
            }
            index = position
            return value
        }

        /// A number in JSON's grammar, read as `Double` (correctly rounded, as `JSONDecoder` does).
        mutating func double() -> Double? {
            skipWhitespace()
            let start = index
            var position = index
            func digits() -> Int {
                let first = position
                while position < bytes.count, bytes[position] >= 0x30 && bytes[position] <= 0x39 { position += 1 }
                return position - first
            }
            if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            let integer = digits()
            guard integer > 0, integer == 1 || bytes[integerStart] != 0x30 else { return nil }
            if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { return nil }
            }
            if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E"))
            {
                position += 1
                if position < bytes.count
                    && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
                {
                    position += 1
                }
                guard digits() > 0 else { return nil }
            }
            guard !continuesNumber(at: position),
                let value = Double(
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)),
                value.isFinite
            else { return nil }
            index = position
            return value
        }

        /// Whether a number token would go on at `position` (so it is not one this reader understands).
        private func continuesNumber(at position: Int) -> Bool {
            guard position < bytes.count else { return false }
            switch bytes[position] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                return true
            case 0x30...0x39: return true
            default: return false
            }
        }

        /// A string; `nil` for invalid UTF-8, a raw control character, or an escape it does not know
        /// (a lone surrogate included).
        mutating func string() -> String? {
            guard byte("\"") else { return nil }
            let start = index
            var escaped = false
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    let content = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    return escaped ? unescape(content) : String(validating: content, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    escaped = true
                    index += 2
                case 0..<0x20:
                    return nil
                default:
                    index += 1
                }
            }
            return nil
        }

        private func unescape(_ content: UnsafeBufferPointer<UInt8>) -> String? {
            var out: [UInt8] = []
            out.reserveCapacity(content.count)
            var position = 0
            func hex4() -> UInt32? {
                guard position + 4 <= content.count else { return nil }
                var value: UInt32 = 0
                for byte in content[position..<position + 4] {
                    let digit: UInt32
                    switch byte {
                    case 0x30...0x39: digit = UInt32(byte - 0x30)
                    case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                    case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                    default: return nil
                    }
                    value = value << 4 | digit
                }
                position += 4
                return value
            }
            while position < content.count {
                let byte = content[position]
                position += 1
                guard byte == UInt8(ascii: "\\") else {
                    out.append(byte)
                    continue
                }
                guard position < content.count else { return nil }
                let escape = content[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 2 <= content.count, content[position] == UInt8(ascii: "\\"),
                            content[position + 1] == UInt8(ascii: "u")
                        else { return nil }
                        position += 2
                        guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: String(Character(unicode)).utf8)
                default: return nil
                }
            }
            return String(validating: out, as: UTF8.self)
        }

        mutating func literal(_ word: StaticString) -> Bool {
            skipWhitespace()
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// Skips whitespace and reads `character` if it comes next.
        mutating func byte(_ character: Unicode.Scalar) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func atEnd() -> Bool {
            skipWhitespace()
            return index == bytes.count
        }
    }
}
