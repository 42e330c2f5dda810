import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
/// The one-line summary for systemd's `STATUS=` (docs/SYSTEMD.md), e.g.
/// `14 connectors in 3 accounts: 10 verified, 3 pending, 1 failed; 0 notifications queued;
/// 1 account failing (prod: HTTP 403)`.
///
/// Statuses are the latest as received (a missing or unrecognised one counts as `unknown`); zero
/// counts are left out. Failing accounts and webhooks are named with their last error, up to three,
/// then `+N more`. With a configuration only its enabled accounts and its webhooks count.
public enum StatusLine {
    /// How many failing accounts or webhooks are named before `+N more`.
    public static let namedLimit = 3
    /// Errors in the line are cut to this many characters.
    public static let errorLimit = 60

    /// Renders the summary.
    public static func render(state: StateDocument, configuration: Configuration?) -> String {
        let view = StatusReportView(state: state, configuration: configuration)
        let accounts = view.accounts.filter { $0.enabled != false }
        var counts = Counts()
        for account in accounts {
            if let accountState = account.state { counts.add(accountState) }
        }
        let failingAccounts = accounts.compactMap { account in
            account.state?.lastError.map { (account.name, $0) }
        }
        return format(
            counts: counts, accounts: accounts.count, queued: state.outbox.count,
            failingAccounts: (Array(failingAccounts.prefix(namedLimit)), failingAccounts.count),
            failingWebhooks: failingWebhooks(view.webhooks.map { ($0.name, $0.delivery) }))
    }

    /// Connectors by status, in the order the line lists them.
    struct Counts: Equatable {
        static let order = ["verified", "pending", "awaiting", "failed", "unknown"]

        private(set) var byStatus = [0, 0, 0, 0, 0]
        var total: Int { byStatus.reduce(0, +) }

        /// Counts every connector of `account`.
        mutating func add(_ account: AccountState) {
            for connector in account.connectors.values {
                byStatus[Self.index(connector.rawStatus)] += 1
            }
        }

        mutating func add(_ other: Counts) {
            for index in byStatus.indices { byStatus[index] += other.byStatus[index] }
        }

        mutating func subtract(_ other: Counts) {
            for index in byStatus.indices { byStatus[index] -= other.byStatus[index] }
        }

        private static func index(_ rawStatus: String?) -> Int {
            switch rawStatus.flatMap(VerificationStatus.init(rawValue:)) {
            case .verified: 0
            case .pending: 1
            case .awaiting: 2
            case .failed: 3
            case nil: 4
            }
        }
    }

    /// The failing webhooks among `webhooks`, in that order, with their last error.
    static func failingWebhooks(
        _ webhooks: [(name: String, delivery: WebhookDeliveryState?)]
    ) -> (named: [(String, String)], count: Int) {
        let failing = webhooks.compactMap { webhook -> (String, String)? in
            guard let delivery = webhook.delivery, delivery.failing else { return nil }
            return (webhook.name, delivery.lastError ?? "failing")
        }
        return (Array(failing.prefix(namedLimit)), failing.count)
    }

    /// The line from its parts; `failingAccounts` and `failingWebhooks` carry the first `namedLimit` (name,
    /// error) pairs and how many there are in all.
    static func format(
        counts: Counts, accounts: Int, queued: Int, failingAccounts: (named: [(String, String)], count: Int),
        failingWebhooks: (named: [(String, String)], count: Int)
    ) -> String {
        let breakdown = zip(Counts.order, counts.byStatus).compactMap { status, count in
            count > 0 ? "\(count) \(status)" : nil
        }
        var segments: [String] = []
        var head = "\(plural(counts.total, "connector")) in \(plural(accounts, "account"))"
        if !breakdown.isEmpty { head += ": " + breakdown.joined(separator: ", ") }
        segments.append(head)
        segments.append("\(plural(queued, "notification")) queued")
        if failingAccounts.count > 0 {
            segments.append(failing(failingAccounts.named, count: failingAccounts.count, "account"))
        }
        if failingWebhooks.count > 0 {
            segments.append(failing(failingWebhooks.named, count: failingWebhooks.count, "webhook"))
        }
        return segments.joined(separator: "; ")
    }

    private static func failing(_ named: [(name: String, error: String)], count: Int, _ noun: String) -> String {
        var parts = named.prefix(namedLimit).map { "\($0.name): \(shorten($0.error))" }
        if count > namedLimit { parts.append("+\(count - namedLimit) more") }
        return "\(plural(count, noun)) failing (\(parts.joined(separator: ", ")))"
    }

    /// `error` on one line, cut to `errorLimit` characters.
    static func shorten(_ error: String) -> String {
        TransitionEngine.oneLine(error).shortened(to: errorLimit)
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
