import Foundation
import SSOWatchConfig
import SSOWatchDNS
import SSOWatchModel

// The on-disk format is docs/STATE.md, written by `StateJSONWriter` and read by `StateJSONReader`: renaming a
// property here does not rename its key.

/// Everything the daemon remembers between runs: per-account connector state, the outbox of
/// undelivered notifications, and per-webhook delivery health.
public struct StateDocument: Sendable, Equatable {
    /// The format version this build writes and understands.
    public static let currentVersion = 1

    /// The format version of this document.
    public var version: Int
    /// Per-account state keyed by Cloudflare account id, so renaming an account keeps its state.
    public var accounts: [String: AccountState]
    /// Undelivered (event, webhook) pairs, in the order they were detected.
    public var outbox: [OutboxEntry]
    /// Delivery health keyed by webhook name.
    public var webhooks: [String: WebhookDeliveryState]
    /// Which journal (`STATE_FILE.journal`, see `StateJournal`) continues this file: a random number drawn
    /// each time the file is written whole; 0 in files written before the journal existed.
    public var journalGeneration: Int
    /// The outbox's changes since the last save (not stored: the journal records them). Every change to
    /// `outbox` goes through the methods that keep it.
    public var outboxLog = OutboxLog()

    /// Creates a document; the default is a fresh, empty one.
    public init(
        version: Int = StateDocument.currentVersion, accounts: [String: AccountState] = [:],
        outbox: [OutboxEntry] = [], webhooks: [String: WebhookDeliveryState] = [:], journalGeneration: Int = 0
    ) {
        self.version = version
        self.accounts = accounts
        self.outbox = outbox
        self.webhooks = webhooks
        self.journalGeneration = journalGeneration
    }

    /// Equal when they hold the same state; `journalGeneration` only says which journal file continues
    /// the state file and is left out.
    public static func == (lhs: StateDocument, rhs: StateDocument) -> Bool {
        lhs.version == rhs.version && lhs.accounts == rhs.accounts && lhs.outbox == rhs.outbox
            && lhs.webhooks == rhs.webhooks
    }

    /// The stored state of a configured account, or a fresh one (not yet baselined).
    public func accountState(for account: AccountConfig) -> AccountState {
        var state = accounts[account.accountID] ?? AccountState(accountID: account.accountID, name: account.name)
        state.name = account.name
        return state
    }

    /// Records the outcome of one successful poll and its notifications together, so that one
    /// atomic save stores both (docs/MONITORING.md: an event is never lost nor made twice by a crash).
    public mutating func record(_ result: TransitionResult, enqueue entries: [OutboxEntry]) {
        accounts[result.state.accountID] = result.state
        enqueue(entries)
    }

    /// Queues notifications that no poll produced (a DNS check's `dns_missing` and `dns_found`).
    public mutating func enqueue(_ entries: [OutboxEntry]) {
        outbox.append(contentsOf: entries)
        outboxLog.add(entries)
    }
}

/// What ssowatch knows about one Cloudflare account.
public struct AccountState: Sendable, Equatable {
    /// The Cloudflare account id.
    public var accountID: String
    /// The name the account had in the configuration when it was last polled.
    public var name: String
    /// Whether the first successful poll (the silent baseline) has happened.
    public var baselineDone: Bool
    /// When the account was last polled, successfully or not.
    public var lastPoll: Date?
    /// When the account was last polled successfully.
    public var lastSuccess: Date?
    /// One line describing the latest failed poll; `nil` after a success.
    public var lastError: String?
    /// Failed polls since the last success.
    public var consecutiveFailures: Int
    /// Whether the account's latest poll outlived its bound and was cancelled (docs/MONITORING.md);
    /// cleared when a later poll ends, well or not. Absent from files written before it existed.
    public var overdue: Bool
    /// Connectors keyed by connector id.
    public var connectors: [String: ConnectorState]

    /// Creates an account state; the defaults describe an account never polled.
    public init(
        accountID: String, name: String, baselineDone: Bool = false, lastPoll: Date? = nil,
        lastSuccess: Date? = nil, lastError: String? = nil, consecutiveFailures: Int = 0, overdue: Bool = false,
        connectors: [String: ConnectorState] = [:]
    ) {
        self.overdue = overdue
        self.accountID = accountID
        self.name = name
        self.baselineDone = baselineDone
        self.lastPoll = lastPoll
        self.lastSuccess = lastSuccess
        self.lastError = lastError
        self.consecutiveFailures = consecutiveFailures
        self.connectors = connectors
    }
}

/// What ssowatch knows about one connector.
public struct ConnectorState: Sendable, Equatable {
    /// The connector id.
    public var id: String
    /// The email domain, when Cloudflare ever reported one.
    public var emailDomain: String?
    /// Whether SSO is enforced, when known.
    public var enabled: Bool?
    /// The last **known** status (one of the four); an unknown or missing status never replaces it.
    public var status: VerificationStatus?
    /// The status string exactly as last received (`nil` when the latest answer had none).
    public var rawStatus: String?
    /// Since when the connector has been in `status` (first sighting while no status is known).
    public var statusSince: Date
    /// When a successful poll last listed the connector.
    public var lastSeen: Date
    /// Consecutive successful polls the connector was absent from.
    public var missingCount: Int
    /// Whether the current `pending`/`awaiting` episode has had its `stuck` event.
    public var stuckNotified: Bool
    /// The whole TXT record value, when Cloudflare gave one.
    public var verificationCode: String?
    /// The latest known-status transitions, oldest first, at most `ConnectorState.historyLimit`.
    public var history: [TransitionRecord]
    /// The latest check of the TXT record on the domain's nameservers (docs/DNS.md); `nil` when none ran.
    public var dns: DNSRecordCheck? {
        get { verification?.check }
        set { verification = .init(check: newValue, episode: dnsEpisode, autoBegin: autoBegin) }
    }
    /// What the DNS check has announced in the current episode; `nil` before the first check.
    public var dnsEpisode: DNSEpisode? {
        get { verification?.episode }
        set { verification = .init(check: dns, episode: newValue, autoBegin: autoBegin) }
    }
    /// What `auto_begin_verification` did and may still do (docs/STATE.md); `nil` before the first DNS check
    /// and in files written before it existed.
    public var autoBegin: AutoBeginRecord? {
        get { verification?.autoBegin }
        set { verification = .init(check: dns, episode: dnsEpisode, autoBegin: newValue) }
    }
    /// `dns`, `dnsEpisode` and `autoBegin`, kept out of line: most connectors (every verified one) have none of
    /// them, and inline they added about 72 bytes to each connector before `autoBegin` existed, about 1.1 MB of the daemon's
    /// memory with 10,000 connectors (BENCHMARKS.md).
    private var verification: VerificationKnowledge?

    /// How many transitions `history` keeps.
    public static let historyLimit = 20

    /// Creates a connector state.
    public init(
        id: String, emailDomain: String? = nil, enabled: Bool? = nil, status: VerificationStatus? = nil,
        rawStatus: String? = nil, statusSince: Date, lastSeen: Date, missingCount: Int = 0,
        stuckNotified: Bool = false, verificationCode: String? = nil, history: [TransitionRecord] = [],
        dns: DNSRecordCheck? = nil, dnsEpisode: DNSEpisode? = nil, autoBegin: AutoBeginRecord? = nil
    ) {
        self.id = id
        self.emailDomain = emailDomain
        self.enabled = enabled
        self.status = status
        self.rawStatus = rawStatus
        self.statusSince = statusSince
        self.lastSeen = lastSeen
        self.missingCount = missingCount
        self.stuckNotified = stuckNotified
        self.verificationCode = verificationCode
        self.history = history
        self.verification = VerificationKnowledge(check: dns, episode: dnsEpisode, autoBegin: autoBegin)
    }

    /// The status as shown to people: the latest raw status, or `unknown` when missing.
    public var displayStatus: String { rawStatus ?? "unknown" }

    /// Appends a transition, keeping only the latest `historyLimit`.
    public mutating func appendHistory(_ record: TransitionRecord) {
        history.append(record)
        if history.count > Self.historyLimit {
            history.removeFirst(history.count - Self.historyLimit)
        }
    }
}

/// What the DNS check and verification assistance know about one connector (`ConnectorState.dns`, `.dnsEpisode`,
/// `.autoBegin`); never changed once made.
private final class VerificationKnowledge: Sendable, Equatable {
    let check: DNSRecordCheck?
    let episode: DNSEpisode?
    let autoBegin: AutoBeginRecord?

    /// The knowledge of the three; `nil` when all are `nil`.
    init?(check: DNSRecordCheck?, episode: DNSEpisode?, autoBegin: AutoBeginRecord?) {
        guard check != nil || episode != nil || autoBegin != nil else { return nil }
        self.check = check
        self.episode = episode
        self.autoBegin = autoBegin
    }

    static func == (lhs: VerificationKnowledge, rhs: VerificationKnowledge) -> Bool {
        lhs === rhs || (lhs.check == rhs.check && lhs.episode == rhs.episode && lhs.autoBegin == rhs.autoBegin)
    }
}

/// One change of a connector's known status.
public struct TransitionRecord: Sendable, Equatable {
    /// When it was detected.
    public var at: Date
    /// The previous known status (`nil` for the first known status).
    public var from: VerificationStatus?
    /// The new known status.
    public var to: VerificationStatus
    /// The event announced for it, if any (the baseline records silently).
    public var eventID: String?

    /// Creates a record.
    public init(at: Date, from: VerificationStatus?, to: VerificationStatus, eventID: String?) {
        self.at = at
        self.from = from
        self.to = to
        self.eventID = eventID
    }
}

/// How deliveries to one webhook are going.
public struct WebhookDeliveryState: Sendable, Equatable {
    /// One line describing the latest failed delivery; `nil` after a success.
    public var lastError: String?
    /// Whether the oldest queued event is being retried or failed permanently.
    public var failing: Bool
    /// When a delivery last succeeded.
    public var lastSuccess: Date?

    /// Creates a delivery state; the default is a healthy webhook with no history.
    public init(lastError: String? = nil, failing: Bool = false, lastSuccess: Date? = nil) {
        self.lastError = lastError
        self.failing = failing
        self.lastSuccess = lastSuccess
    }
}
