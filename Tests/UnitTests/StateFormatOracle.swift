import Foundation

@testable import SSOWatchModel
@testable import SSOWatchState

/// docs/STATE.md written down again, independently of `StateJSONWriter` and `StateJSONReader`, in terms of
/// Foundation's JSON: the oracle the product's one encoder and one decoder are checked against.
enum StateFormatOracle {
    /// A JSON value as docs/STATE.md describes it; `Encodable`, so `JSONEncoder` can write it.
    indirect enum Tree: Encodable, Equatable {
        case object([String: Tree])
        case array([Tree])
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .object(let members): try container.encode(members)
            case .array(let items): try container.encode(items)
            case .string(let text): try container.encode(text)
            case .int(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            }
        }

        /// As `JSONSerialization` gives it, for comparing with what it parses.
        var foundation: Any {
            switch self {
            case .object(let members): return members.mapValues(\.foundation) as NSDictionary
            case .array(let items): return items.map(\.foundation) as NSArray
            case .string(let text): return text as NSString
            case .int(let value): return NSNumber(value: value)
            case .double(let value): return NSNumber(value: value)
            case .bool(let value): return NSNumber(value: value)
            }
        }
    }

    /// `JSONEncoder`'s bytes for the document's tree, keys sorted and `/` unescaped: what the state file
    /// must hold, byte for byte.
    static func encoded(_ document: StateDocument, pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(tree(document)))
    }

    /// `bytes` as `JSONSerialization` parses them, with the keys docs/STATE.md does not define and `null`
    /// values (an absent optional) left out where `expected` has none, and the documented defaults of keys
    /// older files lack filled in, so that it compares with `tree(…).foundation` of what the product read.
    static func parsed(_ bytes: [UInt8], like expected: Tree) throws -> Any {
        pruned(try JSONSerialization.jsonObject(with: Data(bytes)), like: expected)
    }

    private static func pruned(_ value: Any, like expected: Tree) -> Any {
        switch (value, expected) {
        case (let object as [String: Any], .object(let members)):
            var kept: [String: Any] = [:]
            for (key, item) in object {
                if let member = members[key] {
                    kept[key] = pruned(item, like: member)
                } else if !(item is NSNull) && documentedKeys.contains(key) {
                    kept[key] = item  // a documented key the product did not read: the comparison fails
                }
            }
            for (key, value) in defaults where kept[key] == nil && members[key] == value {
                kept[key] = value.foundation
            }
            return kept as NSDictionary
        case (let items as [Any], .array(let expectedItems)) where items.count == expectedItems.count:
            return zip(items, expectedItems).map { pruned($0, like: $1) } as NSArray
        default:
            return value
        }
    }

    /// What an absent key means (docs/STATE.md: files from before the key existed).
    static let defaults: [String: Tree] = ["journal_generation": .int(0), "overdue": .bool(false)]

    static let documentedKeys: Set<String> = [
        "version", "journal_generation", "accounts", "outbox", "webhooks", "account_id", "name", "baseline_done",
        "last_poll", "last_success", "last_error", "consecutive_failures", "overdue", "connectors", "id",
        "email_domain", "enabled", "status", "raw_status", "status_since", "last_seen", "missing_count",
        "stuck_notified", "verification_code", "history", "at", "from", "to", "event_id", "event", "webhook",
        "enqueued_at", "attempts", "next_attempt_at", "permanent_failure", "url_fingerprint", "kind",
        "detected_at", "account_name", "connector_id", "previous_status", "previous_status_since", "failing",
    ]

    // MARK: The format

    static func tree(_ document: StateDocument) -> Tree {
        .object([
            "version": .int(document.version), "journal_generation": .int(document.journalGeneration),
            "accounts": .object(document.accounts.mapValues(account)), "outbox": .array(document.outbox.map(entry)),
            "webhooks": .object(
                document.webhooks.mapValues { webhook in
                    object([
                        "failing": .bool(webhook.failing), "last_error": webhook.lastError.map(Tree.string),
                        "last_success": webhook.lastSuccess.map(date),
                    ])
                }),
        ])
    }

    static func account(_ account: AccountState) -> Tree {
        object([
            "account_id": .string(account.accountID), "name": .string(account.name),
            "baseline_done": .bool(account.baselineDone), "last_poll": account.lastPoll.map(date),
            "last_success": account.lastSuccess.map(date), "last_error": account.lastError.map(Tree.string),
            "consecutive_failures": .int(account.consecutiveFailures), "overdue": .bool(account.overdue),
            "connectors": .object(account.connectors.mapValues(connector)),
        ])
    }

    static func connector(_ connector: ConnectorState) -> Tree {
        object([
            "id": .string(connector.id), "email_domain": connector.emailDomain.map(Tree.string),
            "enabled": connector.enabled.map(Tree.bool), "status": connector.status.map { .string($0.rawValue) },
            "raw_status": connector.rawStatus.map(Tree.string), "status_since": date(connector.statusSince),
            "last_seen": date(connector.lastSeen), "missing_count": .int(connector.missingCount),
            "stuck_notified": .bool(connector.stuckNotified),
            "verification_code": connector.verificationCode.map(Tree.string),
            "history": .array(
                connector.history.map { record in
                    object([
                        "at": date(record.at), "from": record.from.map { .string($0.rawValue) },
                        "to": .string(record.to.rawValue), "event_id": record.eventID.map(Tree.string),
                    ])
                }),
        ])
    }

    static func entry(_ entry: OutboxEntry) -> Tree {
        let event = entry.event
        return object([
            "event": object([
                "id": .string(event.id), "kind": .string(event.kind.rawValue), "detected_at": date(event.detectedAt),
                "account_name": .string(event.accountName), "account_id": .string(event.accountID),
                "connector_id": .string(event.connectorID), "email_domain": event.emailDomain.map(Tree.string),
                "enabled": event.enabled.map(Tree.bool), "status": .string(event.status),
                "previous_status": event.previousStatus.map { .string($0.rawValue) },
                "previous_status_since": event.previousStatusSince.map(date),
                "verification_code": event.verificationCode.map(Tree.string),
            ]),
            "webhook": .string(entry.webhook), "enqueued_at": date(entry.enqueuedAt), "attempts": .int(entry.attempts),
            "next_attempt_at": entry.nextAttemptAt.map(date), "last_error": entry.lastError.map(Tree.string),
            "permanent_failure": .bool(entry.permanentFailure),
            "url_fingerprint": entry.urlFingerprint.map(Tree.string),
        ])
    }

    /// Seconds since 2001-01-01 (docs/STATE.md).
    static func date(_ date: Date) -> Tree { .double(date.timeIntervalSinceReferenceDate) }

    /// An object without the keys whose value would be `null` (docs/STATE.md leaves them out).
    static func object(_ members: [String: Tree?]) -> Tree { .object(members.compactMapValues { $0 }) }
}
