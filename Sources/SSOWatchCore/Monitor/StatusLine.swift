/// The one-line summary for systemd's `STATUS=` (SPEC §7), e.g.
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
        let connectors = accounts.flatMap { $0.state.map { Array($0.connectors.values) } ?? [] }

        var counts: [String: Int] = [:]
        for connector in connectors {
            let status = connector.rawStatus.flatMap(VerificationStatus.init(rawValue:))?.rawValue ?? "unknown"
            counts[status, default: 0] += 1
        }
        let order = ["verified", "pending", "awaiting", "failed", "unknown"]
        let breakdown = order.compactMap { status in counts[status].map { "\($0) \(status)" } }

        var segments: [String] = []
        var head = "\(plural(connectors.count, "connector")) in \(plural(accounts.count, "account"))"
        if !breakdown.isEmpty { head += ": " + breakdown.joined(separator: ", ") }
        segments.append(head)
        segments.append("\(plural(state.outbox.count, "notification")) queued")

        let failingAccounts = accounts.compactMap { account in
            account.state?.lastError.map { (account.name, $0) }
        }
        if !failingAccounts.isEmpty {
            segments.append(failing(failingAccounts, "account"))
        }
        let failingWebhooks = view.webhooks.compactMap { webhook -> (String, String)? in
            guard let delivery = webhook.delivery, delivery.failing else { return nil }
            return (webhook.name, delivery.lastError ?? "failing")
        }
        if !failingWebhooks.isEmpty {
            segments.append(failing(failingWebhooks, "webhook"))
        }
        return segments.joined(separator: "; ")
    }

    private static func failing(_ items: [(name: String, error: String)], _ noun: String) -> String {
        var named = items.prefix(namedLimit).map { "\($0.name): \(shorten($0.error))" }
        if items.count > namedLimit { named.append("+\(items.count - namedLimit) more") }
        return "\(plural(items.count, noun)) failing (\(named.joined(separator: ", ")))"
    }

    private static func shorten(_ error: String) -> String {
        let line = TransitionEngine.oneLine(error)
        return line.count <= errorLimit ? line : String(line.prefix(errorLimit - 1)) + "…"
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
