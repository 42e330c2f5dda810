import Foundation

/// What happened to a connector; also the names used in a webhook's `events` list.
public enum EventKind: String, Sendable, CaseIterable, Hashable {
    case verified, failed, pending, awaiting, appeared, removed, stuck
    /// The TXT record is missing or mistyped on the domain's nameservers, twice in a row (docs/DNS.md).
    case dnsMissing = "dns_missing"
    /// The TXT record is now on every nameserver.
    case dnsFound = "dns_found"
    /// ssowatch began (or, with `dry-run`, would begin) the connector's verification itself, or tried to and
    /// Cloudflare said no (docs/NOTIFICATIONS.md).
    case verificationStarted = "verification_started"

    /// The kinds a webhook receives when its `events` is not set.
    public static let defaults: Set<EventKind> = [.verified, .failed, .dnsMissing, .dnsFound, .verificationStarted]

    /// The generic webhook `type` value, e.g. `connector.verified`.
    public var typeName: String { "connector.\(rawValue)" }
}

/// One detected transition. Created once, stored in the outbox in the same write as the new state,
/// and delivered (possibly several times) with the same `id`, which is the `webhook-id`.
public struct ConnectorEvent: Sendable, Equatable, Hashable {
    /// Unique, stable id: `evt_` followed by 32 lowercase hex characters (never contains `.`).
    public var id: String
    /// What happened.
    public var kind: EventKind
    /// When the transition was detected (identical on every delivery attempt).
    public var detectedAt: Date
    /// The configured account name.
    public var accountName: String
    /// The Cloudflare account id.
    public var accountID: String
    /// The connector id.
    public var connectorID: String
    /// The connector's email domain, when Cloudflare reported one.
    public var emailDomain: String?
    /// Whether the connector is enabled, when known.
    public var enabled: Bool?
    /// The status this event reports: the new one, the current one (`appeared`, `stuck`),
    /// or the last known one (`removed`). Raw, so an unknown status is shown as is.
    public var status: String
    /// The previous known status for a status change; `nil` for first sightings and the
    /// `appeared`/`removed`/`stuck` events.
    public var previousStatus: VerificationStatus?
    /// Since when the connector had been in `previousStatus`.
    public var previousStatusSince: Date?
    /// The whole TXT value, when Cloudflare gave one.
    public var verificationCode: String?
    /// The latest check of the TXT record when the event was detected; `nil` when none ran (docs/DNS.md).
    public var dns: DNSRecordCheck?
    /// What ssowatch did about the connector's verification; only `verification_started` has one.
    public var assist: AutoBeginReport?
    /// The account's `auto_begin_verification` when it is not `off`, on `dns_found` events: their message
    /// then says that ssowatch begins verification itself rather than asking a person to.
    public var autoBegin: AutoBeginMode?

    /// Creates an event.
    public init(
        id: String = ConnectorEvent.newID(), kind: EventKind, detectedAt: Date, accountName: String,
        accountID: String, connectorID: String, emailDomain: String?, enabled: Bool?, status: String,
        previousStatus: VerificationStatus?, previousStatusSince: Date?, verificationCode: String?,
        dns: DNSRecordCheck? = nil, assist: AutoBeginReport? = nil, autoBegin: AutoBeginMode? = nil
    ) {
        self.id = id
        self.kind = kind
        self.detectedAt = detectedAt
        self.accountName = accountName
        self.accountID = accountID
        self.connectorID = connectorID
        self.emailDomain = emailDomain
        self.enabled = enabled
        self.status = status
        self.previousStatus = previousStatus
        self.previousStatusSince = previousStatusSince
        self.verificationCode = verificationCode
        self.dns = dns
        self.assist = assist
        self.autoBegin = autoBegin
    }

    /// A fresh random event id.
    public static func newID() -> String {
        var rng = SystemRandomNumberGenerator()
        let hex = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }
        return "evt_" + hex.joined()
    }

    /// The domain as shown to people: the email domain, or the connector id when there is none.
    public var displayDomain: String { emailDomain ?? connectorID }
}
