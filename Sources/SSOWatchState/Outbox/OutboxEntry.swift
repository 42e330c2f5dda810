import Crypto
import Foundation
import SSOWatchConfig
import SSOWatchModel

/// One undelivered notification: an event for one webhook, with its delivery progress.
public struct OutboxEntry: Sendable, Equatable {
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
}
