import Foundation

/// The verification status Cloudflare reports for an SSO connector's email domain.
public enum VerificationStatus: String, Sendable, CaseIterable, Hashable {
    /// Created; verification not started.
    case awaiting
    /// Cloudflare is polling DNS for the TXT record.
    case pending
    /// Cloudflare gave up looking for the TXT record (about two days).
    case failed
    /// The TXT record was found; the connector may be enabled.
    case verified
}

/// An SSO connector as the API returns it. Every field is optional: the API may omit any of them,
/// and a field of an unexpected type is treated as missing rather than failing the whole list.
public struct Connector: Sendable, Equatable, Hashable {
    /// The 32-hex connector id.
    public var id: String?
    /// The email domain this connector covers.
    public var emailDomain: String?
    /// Whether SSO is enforced for the domain.
    public var enabled: Bool?
    /// Creation time as Cloudflare wrote it.
    public var createdOn: String?
    /// Last update time as Cloudflare wrote it.
    public var updatedOn: String?
    /// Whether FedRAMP language is shown at login.
    public var useFedrampLanguage: Bool?
    /// The whole TXT record value, e.g. `cloudflare_dashboard_sso=…`.
    public var verificationCode: String?
    /// The status string exactly as received (may be unknown to this version, or missing).
    public var rawStatus: String?

    /// Creates a connector from its parts.
    public init(
        id: String?, emailDomain: String? = nil, enabled: Bool? = nil, createdOn: String? = nil,
        updatedOn: String? = nil, useFedrampLanguage: Bool? = nil, verificationCode: String? = nil,
        rawStatus: String? = nil
    ) {
        self.id = id
        self.emailDomain = emailDomain
        self.enabled = enabled
        self.createdOn = createdOn
        self.updatedOn = updatedOn
        self.useFedrampLanguage = useFedrampLanguage
        self.verificationCode = verificationCode
        self.rawStatus = rawStatus
    }

    /// The status when it is one of the four known values, else `nil`.
    public var status: VerificationStatus? { rawStatus.flatMap(VerificationStatus.init(rawValue:)) }

    /// The status as shown to people: the raw value, or `unknown` when missing.
    public var displayStatus: String { rawStatus ?? "unknown" }
}
