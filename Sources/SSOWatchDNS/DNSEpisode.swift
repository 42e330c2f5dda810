import SSOWatchModel

/// The announcement rules of `docs/DNS.md` for one connector, as a value the daemon keeps (and may persist
/// field by field) beside the connector.
///
/// An episode runs from a status change (or first sight) until the record is `present` or the status
/// changes again. Within it, `dns_missing` is announced once, after two consecutive conclusive
/// `missing`/`near_miss` results of an `awaiting` or `pending` connector; `dns_found` is announced when the
/// record becomes `present` after a conclusive result that was not `present`. `inconclusive` results change
/// nothing: they neither end an episode nor count, so `present → inconclusive → present` is silent.
public struct DNSEpisode: Hashable, Sendable {
    /// The connector's verification status (a verified connector is not checked and announces nothing).
    public typealias Status = VerificationStatus

    /// What to announce after a check.
    public enum Event: String, Hashable, Sendable {
        /// The record is missing or mistyped, twice in a row (`dns_missing`).
        case dnsMissing = "dns_missing"
        /// The record became present (`dns_found`).
        case dnsFound = "dns_found"
    }

    /// The status the current episode belongs to; `nil` before the first observation.
    public var status: Status?
    /// The last conclusive result, kept across episodes: `dns_found` compares with it.
    public var lastConclusive: DNSCheckResult.Result?
    /// Consecutive conclusive `missing`/`near_miss` results in this episode.
    public var consecutiveMissing: Int
    /// Whether `dns_missing` was announced in this episode.
    public var missingAnnounced: Bool

    /// Creates the state of a connector seen for the first time, or restores a persisted one.
    public init(
        status: Status? = nil, lastConclusive: DNSCheckResult.Result? = nil, consecutiveMissing: Int = 0,
        missingAnnounced: Bool = false
    ) {
        self.status = status
        self.lastConclusive = lastConclusive
        self.consecutiveMissing = consecutiveMissing
        self.missingAnnounced = missingAnnounced
    }

    /// Records the connector's status; a change ends the episode.
    public mutating func observe(status newStatus: Status) {
        guard newStatus != status else { return }
        status = newStatus
        consecutiveMissing = 0
        missingAnnounced = false
    }

    /// Records a check made while the connector had `status` and says what to announce, if anything.
    public mutating func record(_ result: DNSCheckResult.Result, status current: Status) -> Event? {
        observe(status: current)
        guard result.isConclusive, current != .verified else { return nil }
        let previous = lastConclusive
        lastConclusive = result
        switch result {
        case .present:
            consecutiveMissing = 0
            missingAnnounced = false
            guard let previous, previous != .present else { return nil }
            return .dnsFound
        case .missing, .nearMiss:
            consecutiveMissing += 1
            guard current == .awaiting || current == .pending, consecutiveMissing >= 2, !missingAnnounced else {
                return nil
            }
            missingAnnounced = true
            return .dnsMissing
        case .partial:
            consecutiveMissing = 0
            return nil
        case .inconclusive:
            return nil
        }
    }
}
