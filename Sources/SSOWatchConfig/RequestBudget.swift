import Foundation

/// Whether the accounts that share an API token fit in `rate_limit` at their poll intervals.
///
/// Each poll is one request, so in one rate-limit window of W seconds an account polled every I
/// seconds needs W / I requests. The accounts sharing a token (same ``Secret/value``) together need the
/// sum of that; it fits when the sum is at most N. With adaptive polling (docs/MONITORING.md) the sum
/// lies between two bounds: every account at its `poll_interval` (all have a pending connector, the
/// worst case) and every account at its `settled_poll_interval` (the steady state). The smallest common
/// interval that fits is `accounts × W / N`. Groups are named by their accounts, never by the token.
public enum RequestBudget {
    /// The enabled accounts that use one token, and their budget.
    public struct Group: Sendable, Hashable {
        /// Names of the enabled accounts using this token, in configuration order.
        public var accounts: [String]
        /// The header line of the first of them, for messages.
        public var firstLine: Int
        /// N of `rate_limit`.
        public var limit: Int
        /// W of `rate_limit`, in seconds.
        public var window: TimeInterval
        /// Requests these accounts need per window when every one is polled at its `poll_interval`.
        public var requestsPerWindow: Double
        /// Requests per window when every one is polled at its `settled_poll_interval`.
        public var settledRequestsPerWindow: Double
        /// What one account more at its `poll_interval` instead of its settled interval adds per window.
        public var pendingCosts: [Double]

        /// Creates a group without adaptive polling: the settled figures are the same as the others.
        public init(accounts: [String], firstLine: Int, limit: Int, window: TimeInterval, requestsPerWindow: Double) {
            self.accounts = accounts
            self.firstLine = firstLine
            self.limit = limit
            self.window = window
            self.requestsPerWindow = requestsPerWindow
            self.settledRequestsPerWindow = requestsPerWindow
            self.pendingCosts = Array(repeating: 0, count: accounts.count)
        }

        /// Whether the accounts stay within the limit even when every one is at its `poll_interval`.
        public var fits: Bool { requestsPerWindow <= Double(limit) + 1e-9 }

        /// Whether the accounts stay within the limit when every one is settled.
        public var settledFits: Bool { settledRequestsPerWindow <= Double(limit) + 1e-9 }

        /// Whether some account of the group is polled less often once settled.
        public var isAdaptive: Bool { settledRequestsPerWindow < requestsPerWindow - 1e-9 }

        /// How many accounts may have a pending connector at once with the rest settled, within the limit
        /// (the cheapest first, when the intervals differ): every account when ``fits``, 0 when not even the
        /// settled schedule fits.
        public var pendingAccountsThatFit: Int {
            if fits { return accounts.count }
            var spare = Double(limit) - settledRequestsPerWindow + 1e-9
            var count = 0
            for cost in pendingCosts.sorted() {
                spare -= cost
                guard spare >= 0 else { break }
                count += 1
            }
            return count
        }

        /// The smallest poll interval, the same for every account of the group, that fits; whole
        /// seconds, rounded up, at least 1s.
        public var smallestFittingInterval: TimeInterval {
            max(1, (Double(accounts.count) * window / Double(limit)).rounded(.up))
        }

        /// The group's name: its accounts' names, at most five, then `+N more` (`prod, staging`).
        public var name: String {
            accounts.prefix(5).joined(separator: ", ") + (accounts.count > 5 ? " +\(accounts.count - 5) more" : "")
        }

        /// `account "prod"` or `accounts prod, staging`, for sentences.
        public var accountsDescription: String {
            accounts.count == 1 ? "account \"\(accounts[0])\"" : "accounts \(name)"
        }

        /// The requests per window as a short number: `1200`, `2.5`.
        public var requestsDescription: String { Self.describe(requestsPerWindow) }

        /// The settled requests per window as a short number.
        public var settledRequestsDescription: String { Self.describe(settledRequestsPerWindow) }

        static func describe(_ requests: Double) -> String {
            let rounded = (requests * 10).rounded() / 10
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
        }
    }

    /// The groups of the enabled accounts of a configuration, in the order of their first account.
    public static func groups(for configuration: Configuration) -> [Group] {
        groups(accounts: configuration.accounts, rateLimit: configuration.daemon.rateLimit)
    }

    /// The groups of the enabled accounts among `accounts`, in the order of their first account.
    public static func groups(accounts: [AccountConfig], rateLimit: RateLimit) -> [Group] {
        var groups: [Group] = []
        var indexByToken: [String: Int] = [:]
        for account in accounts where account.enabled {
            let requests = rateLimit.window / account.pollInterval
            let settled = rateLimit.window / account.settledInterval
            if let index = indexByToken[account.token.value] {
                groups[index].accounts.append(account.name)
                groups[index].requestsPerWindow += requests
                groups[index].settledRequestsPerWindow += settled
                groups[index].pendingCosts.append(requests - settled)
            } else {
                indexByToken[account.token.value] = groups.count
                var group = Group(
                    accounts: [account.name], firstLine: account.line, limit: rateLimit.requests,
                    window: rateLimit.window, requestsPerWindow: requests)
                group.settledRequestsPerWindow = settled
                group.pendingCosts = [requests - settled]
                groups.append(group)
            }
        }
        return groups
    }
}
