import Foundation
import SSOWatchConfig
import SSOWatchState

/// Which of its two intervals an account is polled at (docs/MONITORING.md, adaptive polling): a pure
/// function of what the state knows about its connectors.
public enum PollPace: String, Sendable, Hashable {
    /// Every `poll_interval`: a connector is `pending` (Cloudflare may verify or fail it any minute), one's
    /// status is missing or unrecognised, or the account has not been polled successfully yet.
    case frequent
    /// Every `settled_poll_interval`: every connector is `verified`, `failed` or `awaiting`, or there are none.
    case settled

    /// Statuses that change only when someone acts (or, for `verified`, hardly ever).
    static let settledStatuses: Set<String> = ["verified", "failed", "awaiting"]

    /// The pace of an account from its stored state (`nil`: never polled). The raw status counts, so an
    /// unknown one keeps the account frequent even though the last known status was settled.
    public static func of(_ state: AccountState?) -> PollPace {
        guard let state, state.baselineDone else { return .frequent }
        for connector in state.connectors.values {
            guard let raw = connector.rawStatus, settledStatuses.contains(raw) else { return .frequent }
        }
        return .settled
    }

    /// The interval between this account's polls at this pace.
    public func interval(for account: AccountConfig) -> TimeInterval {
        switch self {
        case .frequent: return account.pollInterval
        case .settled: return account.settledInterval
        }
    }
}
