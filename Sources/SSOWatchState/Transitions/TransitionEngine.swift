import Foundation
import SSOWatchConfig
import SSOWatchModel

/// The outcome of comparing one successful poll with what was known before.
public struct TransitionResult: Sendable, Equatable {
    /// The account's new state.
    public var state: AccountState
    /// The events detected, in detection order (list order; removals last, by connector id).
    public var events: [ConnectorEvent]
    /// Problems with the answer that are worth a log line (connectors without id, duplicate ids).
    public var warnings: [String]

    /// Creates a result.
    public init(state: AccountState, events: [ConnectorEvent], warnings: [String]) {
        self.state = state
        self.events = events
        self.warnings = warnings
    }
}

/// The connector diff of docs/MONITORING.md: previous account state + one poll's connector list → new state +
/// events. Pure: no clock, no I/O; `now` is passed in and becomes every event's `detectedAt`.
///
/// Rules:
/// - The first successful poll is the baseline: everything is recorded silently, except that with
///   `notifyOnFirstSeen` connectors already `verified`/`failed` are announced (previous status `nil`).
/// - A connector not known before → `appeared` (current status, previous `nil`), plus its
///   `verified`/`failed` event when `notifyOnFirstSeen`.
/// - A change of the **known** status → one event named after the new status, carrying the previous
///   known status and since when it held. A missing or unrecognised status is never an event and
///   never replaces the last known one. A connector whose status was never known gets an event for
///   its first known status (previous `nil`), so a domain that turns `verified` is never missed.
/// - Absent from two consecutive successful lists → `removed` (last known status) and dropped; absent
///   from one only counts, and reappearing resets the count silently. A list that Cloudflare says is
///   incomplete (`result_info.total_count` above what it returned) counts for nobody's absence.
/// - `pending`/`awaiting` for at least `stuckAfter` → one `stuck` event per episode; a change of the
///   known status starts a new episode.
/// - A connector without id is skipped with a warning; of duplicate ids the first is kept.
public enum TransitionEngine {
    /// Compares a poll of `account` with `previous`.
    /// - Parameter listIsComplete: `false` when Cloudflare said it has more connectors than it returned:
    ///   the ones not in the list are then kept as they are, neither missing nor a step towards `removed`.
    public static func apply(
        previous: AccountState?, connectors: [Connector], account: AccountConfig, now: Date,
        notifyOnFirstSeen: Bool, stuckAfter: TimeInterval?, listIsComplete: Bool = true
    ) -> TransitionResult {
        apply(
            previous: previous, connectors: connectors, accountName: account.name, accountID: account.accountID,
            now: now, notifyOnFirstSeen: notifyOnFirstSeen, stuckAfter: stuckAfter, listIsComplete: listIsComplete)
    }

    /// Compares a poll of the account `accountName`/`accountID` with `previous`.
    public static func apply(
        previous: AccountState?, connectors: [Connector], accountName: String, accountID: String, now: Date,
        notifyOnFirstSeen: Bool, stuckAfter: TimeInterval?, listIsComplete: Bool = true
    ) -> TransitionResult {
        var state = previous ?? AccountState(accountID: accountID, name: accountName)
        state.accountID = accountID
        state.name = accountName
        let isBaseline = !state.baselineDone
        let known = state.connectors
        var updated: [String: ConnectorState] = [:]
        var events: [ConnectorEvent] = []
        var warnings: [String] = []

        func event(
            _ kind: EventKind, _ connector: ConnectorState, status: String,
            previous: VerificationStatus? = nil, since: Date? = nil
        ) -> ConnectorEvent {
            ConnectorEvent(
                kind: kind, detectedAt: now, accountName: accountName, accountID: accountID,
                connectorID: connector.id, emailDomain: connector.emailDomain, enabled: connector.enabled,
                status: status, previousStatus: previous, previousStatusSince: since,
                verificationCode: connector.verificationCode, dns: connector.dns)
        }

        for (index, connector) in connectors.enumerated() {
            guard let id = connector.id, !id.isEmpty else {
                warnings.append(
                    "account \(accountName): connector #\(index + 1) in the list has no id"
                        + (connector.emailDomain.map { " (domain \($0))" } ?? "") + "; skipped")
                continue
            }
            guard updated[id] == nil else {
                warnings.append("account \(accountName): connector \(id) is listed more than once; kept the first")
                continue
            }
            if var current = known[id] {
                current.absorb(connector, now: now)
                if let status = connector.status, status != current.status {
                    let previousStatus = current.status
                    let change = event(
                        status.eventKind, current, status: status.rawValue, previous: previousStatus,
                        since: previousStatus == nil ? nil : current.statusSince)
                    events.append(change)
                    current.enter(status, from: previousStatus, at: now, eventID: change.id)
                    // A status change ends the DNS check's episode (docs/DNS.md).
                    current.dnsEpisode?.observe(status: status)
                }
                if let stuckAfter, stuckAfter > 0, let status = current.status,
                    status == .pending || status == .awaiting, !current.stuckNotified,
                    now.timeIntervalSince(current.statusSince) >= stuckAfter
                {
                    events.append(event(.stuck, current, status: status.rawValue))
                    current.stuckNotified = true
                }
                updated[id] = current
            } else {
                var current = ConnectorState(id: id, statusSince: now, lastSeen: now)
                current.absorb(connector, now: now)
                if !isBaseline {
                    events.append(event(.appeared, current, status: connector.displayStatus))
                }
                var firstSeenEventID: String?
                if notifyOnFirstSeen, let status = connector.status, status == .verified || status == .failed {
                    let announcement = event(status.eventKind, current, status: status.rawValue)
                    events.append(announcement)
                    firstSeenEventID = announcement.id
                }
                if let status = connector.status {
                    current.enter(status, from: nil, at: now, eventID: firstSeenEventID)
                }
                updated[id] = current
            }
        }

        for id in known.keys.sorted() where updated[id] == nil {
            guard var absent = known[id] else { continue }
            guard listIsComplete else {
                updated[id] = absent
                continue
            }
            absent.missingCount += 1
            if absent.missingCount >= 2 {
                events.append(event(.removed, absent, status: absent.status?.rawValue ?? absent.displayStatus))
            } else {
                updated[id] = absent
            }
        }

        state.connectors = updated
        state.baselineDone = true
        state.lastPoll = now
        state.lastSuccess = now
        state.lastError = nil
        state.consecutiveFailures = 0
        return TransitionResult(state: state, events: events, warnings: warnings)
    }

    /// Records a failed poll. A failure is never a transition: only `lastPoll`, `lastError` (made one
    /// line) and `consecutiveFailures` change; connectors, their statuses and missing counts do not.
    public static func recordFailure(previous: AccountState, error: String, now: Date) -> AccountState {
        var state = previous
        state.lastPoll = now
        state.lastError = oneLine(error)
        state.consecutiveFailures += 1
        return state
    }

    /// `text` with line breaks and runs of whitespace collapsed to single spaces.
    package static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isNewline || $0 == "\t" || $0 == " " }).joined(separator: " ")
    }
}

extension VerificationStatus {
    /// The event announcing a change to this status.
    fileprivate var eventKind: EventKind {
        switch self {
        case .awaiting: return .awaiting
        case .pending: return .pending
        case .failed: return .failed
        case .verified: return .verified
        }
    }
}

extension ConnectorState {
    /// Takes the latest answer's details; a field the answer lacks keeps its last value, except
    /// `rawStatus`, which is always the latest as received.
    fileprivate mutating func absorb(_ connector: Connector, now: Date) {
        emailDomain = connector.emailDomain ?? emailDomain
        enabled = connector.enabled ?? enabled
        verificationCode = connector.verificationCode ?? verificationCode
        rawStatus = connector.rawStatus
        lastSeen = now
        missingCount = 0
    }

    /// Moves to a new known status, starting a new `stuck` episode.
    fileprivate mutating func enter(
        _ newStatus: VerificationStatus, from: VerificationStatus?, at now: Date, eventID: String?
    ) {
        status = newStatus
        statusSince = now
        stuckNotified = false
        appendHistory(TransitionRecord(at: now, from: from, to: newStatus, eventID: eventID))
    }
}
