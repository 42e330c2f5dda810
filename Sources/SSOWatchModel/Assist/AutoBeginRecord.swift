import Foundation

/// The rules of `auto_begin_verification` for one connector (docs/CONFIGURATION.md, "Verification
/// assistance"), as a value the daemon keeps beside the connector and the state file stores, so the limits
/// hold across restarts.
///
/// A call is due when the connector is `awaiting` or `failed`, the latest DNS check is `present`, the record
/// has been `present` since a check at least `dns_check_interval` earlier (no `partial`, `missing` or
/// `near_miss` in between; an `inconclusive` check neither counts nor breaks the run, as everywhere in the
/// DNS check), Cloudflare has not accepted a call in this episode, and no call was sent in the last six
/// hours. An episode is one stay in one status: it starts at each status change (the connector's
/// `status_since`), so a new `failed` starts a new one and an `awaiting` connector has one until it changes.
/// A call that failed may be made again in the same episode, six hours later.
public struct AutoBeginRecord: Sendable, Hashable {
    /// The shortest time between two calls for one connector.
    public static let callSpacing: TimeInterval = 6 * 3600

    /// What to do after a check.
    public enum Action: Sendable, Hashable {
        /// Nothing now.
        case none
        /// Call `begin_verification` (mode `on`).
        case call
        /// Announce the call that `dry-run` would make.
        case announceWouldCall
    }

    /// The `status_since` of the episode the fields below belong to; `nil` before the first check.
    public var episode: Date?
    /// When the current run of `present` checks began; `nil` when the latest conclusive check was not `present`.
    public var presentSince: Date?
    /// When a call was last sent, in any episode: the six-hour limit.
    public var lastCall: Date?
    /// Whether Cloudflare accepted a call in this episode.
    public var accepted: Bool
    /// The outcomes announced in this episode: each at most once.
    public var announced: Set<AutoBeginOutcome>
    /// The latest attempt (or `dry-run` announcement), kept across episodes for `status`.
    public var latest: AutoBeginAttempt?

    /// Creates the record of a connector seen for the first time, or restores a persisted one.
    public init(
        episode: Date? = nil, presentSince: Date? = nil, lastCall: Date? = nil, accepted: Bool = false,
        announced: Set<AutoBeginOutcome> = [], latest: AutoBeginAttempt? = nil
    ) {
        self.episode = episode
        self.presentSince = presentSince
        self.lastCall = lastCall
        self.accepted = accepted
        self.announced = announced
        self.latest = latest
    }

    /// Records a DNS check of a connector in `status` since `statusSince` and says what to do.
    /// - Parameters:
    ///   - interval: `dns_check_interval`, the least time between the first and the second `present` check.
    ///   - now: the daemon's clock, for the six-hour limit.
    public mutating func record(
        _ result: DNSRecordCheck.Result, checked: Date, status: VerificationStatus, statusSince: Date,
        mode: AutoBeginMode, interval: TimeInterval, now: Date
    ) -> Action {
        if episode != statusSince {
            episode = statusSince
            presentSince = nil
            accepted = false
            announced = []
        }
        switch result {
        case .present: presentSince = presentSince ?? checked
        case .partial, .missing, .nearMiss: presentSince = nil
        case .inconclusive: return .none
        }
        guard mode != .off, status == .awaiting || status == .failed, result == .present, !accepted,
            let presentSince, checked.timeIntervalSince(presentSince) >= interval
        else { return .none }
        switch mode {
        case .off:
            return .none
        case .dryRun:
            return announced.contains(.wouldCall) ? .none : .announceWouldCall
        case .on:
            if let lastCall, now.timeIntervalSince(lastCall) < Self.callSpacing { return .none }
            return .call
        }
    }

    /// Records that a call is being sent now: the six-hour limit starts here, before any answer, so that a
    /// crash during the call cannot lead to a second one.
    public mutating func sending(at now: Date) {
        lastCall = now
    }

    /// Records how an attempt ended and says whether to announce it: an accepted call always (there is one
    /// per episode), any other outcome once per episode.
    public mutating func finish(_ attempt: AutoBeginAttempt) -> Bool {
        latest = attempt
        if attempt.outcome == .called { accepted = true }
        return announced.insert(attempt.outcome).inserted || attempt.outcome == .called
    }

    /// When the next call may be sent, if one was sent.
    public var nextCallAllowed: Date? { lastCall?.addingTimeInterval(Self.callSpacing) }
}
