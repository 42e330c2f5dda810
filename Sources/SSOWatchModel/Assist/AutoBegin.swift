import Foundation

/// `auto_begin_verification` (docs/CONFIGURATION.md): whether ssowatch begins a connector's verification
/// itself once its TXT record is visibly right.
public enum AutoBeginMode: String, Sendable, Hashable, CaseIterable {
    /// Never (the default).
    case off
    /// Calls `begin_verification` with the write token.
    case on
    /// Announces what it would do and calls nothing.
    case dryRun = "dry-run"
}

/// What came of one attempt to begin a connector's verification (docs/NOTIFICATIONS.md, `assist.outcome`).
public enum AutoBeginOutcome: String, Sendable, Hashable, CaseIterable {
    /// Cloudflare accepted the call.
    case called
    /// `dry-run`: the call ssowatch would have made.
    case wouldCall = "would_call"
    /// Cloudflare refused the write token (401/403: it lacks "SSO Connector Write").
    case refused
    /// Any other failure: an API error, a timeout, an unreachable API.
    case error
}

/// What a `verification_started` event reports: the generic body's `assist` object.
public struct AutoBeginReport: Sendable, Hashable {
    public var mode: AutoBeginMode
    public var outcome: AutoBeginOutcome
    /// The HTTP status of the `begin_verification` answer; `nil` when nothing was sent or no answer came.
    public var httpStatus: Int?
    /// Cloudflare's code and message (or what went wrong without an answer); `nil` on success.
    public var cloudflareError: String?
    /// The connector's status read back after the call (`pending` expected); `nil` when not read.
    public var readBackStatus: String?

    /// Creates a report.
    public init(
        mode: AutoBeginMode, outcome: AutoBeginOutcome, httpStatus: Int? = nil, cloudflareError: String? = nil,
        readBackStatus: String? = nil
    ) {
        self.mode = mode
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.cloudflareError = cloudflareError
        self.readBackStatus = readBackStatus
    }
}

/// The latest attempt, as `status` shows it (`connectors[].auto_begin`).
public struct AutoBeginAttempt: Sendable, Hashable {
    public var mode: AutoBeginMode
    public var outcome: AutoBeginOutcome
    /// When it ended.
    public var at: Date
    /// One sentence: what was done and what Cloudflare answered. Never a token.
    public var detail: String

    /// Creates an attempt.
    public init(mode: AutoBeginMode, outcome: AutoBeginOutcome, at: Date, detail: String) {
        self.mode = mode
        self.outcome = outcome
        self.at = at
        self.detail = detail
    }
}
