import Crypto
import Foundation
import SSOWatchConfig
import SSOWatchModel

/// One undelivered notification: an event for one webhook, with its delivery progress.
public struct OutboxEntry: Sendable, Equatable, Codable {
    /// The event to deliver (its id is the `webhook-id`, the same on every attempt).
    public var event: ConnectorEvent
    /// The name of the webhook it goes to.
    public var webhook: String
    /// When it was queued; `delivery_max_age` counts from here.
    public var enqueuedAt: Date
    /// Failed delivery attempts so far.
    public var attempts: Int
    /// When the next attempt may be made; `nil` means now.
    public var nextAttemptAt: Date?
    /// One line describing the latest failed attempt.
    public var lastError: String?
    /// Whether the webhook refused it for good (a 4xx other than 429); held until the URL changes.
    public var permanentFailure: Bool
    /// SHA-256 (hex) of the webhook URL when the permanent failure was recorded, so a reload that
    /// changes the URL can resume delivery without the URL itself being stored.
    public var urlFingerprint: String?

    /// Creates an entry; the defaults describe one never attempted.
    public init(
        event: ConnectorEvent, webhook: String, enqueuedAt: Date, attempts: Int = 0, nextAttemptAt: Date? = nil,
        lastError: String? = nil, permanentFailure: Bool = false, urlFingerprint: String? = nil
    ) {
        self.event = event
        self.webhook = webhook
        self.enqueuedAt = enqueuedAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.permanentFailure = permanentFailure
        self.urlFingerprint = urlFingerprint
    }

    /// Whether it may be attempted at `now`: not permanently failed and not waiting for a retry.
    public func isReady(at now: Date) -> Bool {
        !permanentFailure && (nextAttemptAt.map { $0 <= now } ?? true)
    }

    /// The SHA-256 of a webhook URL as lowercase hex; safe to store and compare, not reversible.
    public static func fingerprint(ofURL url: String) -> String {
        SHA256.hash(data: Data(url.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    enum CodingKeys: String, CodingKey {
        case event, webhook, attempts
        case enqueuedAt = "enqueued_at"
        case nextAttemptAt = "next_attempt_at"
        case lastError = "last_error"
        case permanentFailure = "permanent_failure"
        case urlFingerprint = "url_fingerprint"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        event = try c.decode(StoredEvent.self, forKey: .event).event
        webhook = try c.decode(String.self, forKey: .webhook)
        enqueuedAt = try c.decode(Date.self, forKey: .enqueuedAt)
        attempts = try c.decode(Int.self, forKey: .attempts)
        nextAttemptAt = try c.decodeIfPresent(Date.self, forKey: .nextAttemptAt)
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError)
        permanentFailure = try c.decode(Bool.self, forKey: .permanentFailure)
        urlFingerprint = try c.decodeIfPresent(String.self, forKey: .urlFingerprint)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(StoredEvent(event), forKey: .event)
        try c.encode(webhook, forKey: .webhook)
        try c.encode(enqueuedAt, forKey: .enqueuedAt)
        try c.encode(attempts, forKey: .attempts)
        try c.encodeIfPresent(nextAttemptAt, forKey: .nextAttemptAt)
        try c.encodeIfPresent(lastError, forKey: .lastError)
        try c.encode(permanentFailure, forKey: .permanentFailure)
        try c.encodeIfPresent(urlFingerprint, forKey: .urlFingerprint)
    }
}

/// `ConnectorEvent` as stored in the state file: its own snake_case keys, independent of the
/// synthesized `Codable` of the model type, so the on-disk format cannot drift with it.
private struct StoredEvent: Codable {
    var event: ConnectorEvent

    init(_ event: ConnectorEvent) { self.event = event }

    enum CodingKeys: String, CodingKey {
        case id, kind, status
        case detectedAt = "detected_at"
        case accountName = "account_name"
        case accountID = "account_id"
        case connectorID = "connector_id"
        case emailDomain = "email_domain"
        case enabled
        case previousStatus = "previous_status"
        case previousStatusSince = "previous_status_since"
        case verificationCode = "verification_code"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        event = ConnectorEvent(
            id: try c.decode(String.self, forKey: .id),
            kind: try c.decode(EventKind.self, forKey: .kind),
            detectedAt: try c.decode(Date.self, forKey: .detectedAt),
            accountName: try c.decode(String.self, forKey: .accountName),
            accountID: try c.decode(String.self, forKey: .accountID),
            connectorID: try c.decode(String.self, forKey: .connectorID),
            emailDomain: try c.decodeIfPresent(String.self, forKey: .emailDomain),
            enabled: try c.decodeIfPresent(Bool.self, forKey: .enabled),
            status: try c.decode(String.self, forKey: .status),
            previousStatus: try c.decodeIfPresent(VerificationStatus.self, forKey: .previousStatus),
            previousStatusSince: try c.decodeIfPresent(Date.self, forKey: .previousStatusSince),
            verificationCode: try c.decodeIfPresent(String.self, forKey: .verificationCode))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event.id, forKey: .id)
        try c.encode(event.kind, forKey: .kind)
        try c.encode(event.detectedAt, forKey: .detectedAt)
        try c.encode(event.accountName, forKey: .accountName)
        try c.encode(event.accountID, forKey: .accountID)
        try c.encode(event.connectorID, forKey: .connectorID)
        try c.encodeIfPresent(event.emailDomain, forKey: .emailDomain)
        try c.encodeIfPresent(event.enabled, forKey: .enabled)
        try c.encode(event.status, forKey: .status)
        try c.encodeIfPresent(event.previousStatus, forKey: .previousStatus)
        try c.encodeIfPresent(event.previousStatusSince, forKey: .previousStatusSince)
        try c.encodeIfPresent(event.verificationCode, forKey: .verificationCode)
    }
}
