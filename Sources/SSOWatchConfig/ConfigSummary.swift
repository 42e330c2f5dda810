import Foundation
import SSOWatchModel

/// What `ssowatch check-config` prints for a valid configuration: the accounts, webhooks and daemon
/// settings as ssowatch understood them, the request budget per API token, and the warnings.
/// Secrets never appear: tokens are shown by their source, webhook URLs by their host.
public enum ConfigSummary {
    /// Renders the summary as lines of plain text, ending with a newline.
    public static func render(_ config: Configuration) -> String {
        var lines = ["\(config.path): OK", ""]
        lines += accountLines(config)
        lines += [""] + webhookLines(config)
        lines += [""] + daemonLines(config.daemon)
        lines += [""] + budgetLines(config)
        lines += [""] + warningLines(config.warnings)
        return lines.joined(separator: "\n") + "\n"
    }

    static func accountLines(_ config: Configuration) -> [String] {
        let rows = config.accounts.map { account in
            [
                account.name, account.accountID, account.enabled ? "yes" : "no",
                ValueParsers.formatDuration(account.pollInterval),
                ValueParsers.formatDuration(account.settledInterval),
                account.webhooks.isEmpty ? "(none)" : account.webhooks.joined(separator: ", "),
                account.autoBegin.rawValue, account.token.source,
            ]
        }
        return ["Accounts (\(config.accounts.count)):"]
            + table(
                [["NAME", "ACCOUNT ID", "ENABLED", "INTERVAL", "SETTLED", "WEBHOOKS", "AUTO BEGIN", "TOKEN"]] + rows)
    }

    static func webhookLines(_ config: Configuration) -> [String] {
        guard !config.webhooks.isEmpty else { return ["Webhooks: none (nobody is notified)"] }
        let rows = config.webhooks.map { webhook in
            [
                webhook.name, webhook.type.rawValue, webhook.host, eventsDescription(webhook.events),
                ValueParsers.formatDuration(webhook.timeout), webhook.secret == nil ? "no" : "yes",
            ]
        }
        return ["Webhooks (\(config.webhooks.count)):"]
            + table([["NAME", "TYPE", "HOST", "EVENTS", "TIMEOUT", "SIGNED"]] + rows)
    }

    /// `all`, or the event names in their documented order.
    static func eventsDescription(_ events: Set<EventKind>) -> String {
        if events.count == EventKind.allCases.count { return "all" }
        return EventKind.allCases.filter(events.contains).map(\.rawValue).joined(separator: ", ")
    }

    /// `30m`, or that adaptive polling is off (`settled_poll_interval = 0`).
    static func settledDescription(_ daemon: DaemonConfig) -> String {
        if daemon.settledPollInterval == .sameAsPollInterval { return "same as poll interval (adaptive polling off)" }
        return ValueParsers.formatDuration(daemon.settledPollInterval.resolved(pollInterval: daemon.pollInterval))
    }

    static func daemonLines(_ daemon: DaemonConfig) -> [String] {
        let jitter: String
        switch daemon.jitter {
        case .fraction(let fraction): jitter = fraction == 0 ? "off" : ValueParsers.formatPercentage(fraction)
        case .seconds(let seconds): jitter = ValueParsers.formatDuration(seconds)
        }
        // With ha_postgres_url the database holds the state (docs/HA.md); only its host, port and name are shown.
        let stateRow =
            daemon.haPostgres.map { ["state", "PostgreSQL \($0.display) (active/passive pair)"] }
            ?? ["state file", daemon.stateFile]
        let rows = [
            stateRow,
            ["poll interval", ValueParsers.formatDuration(daemon.pollInterval)],
            ["settled poll interval", settledDescription(daemon)],
            ["jitter", jitter],
            ["API base URL", daemon.apiBaseURL],
            ["request timeout", ValueParsers.formatDuration(daemon.requestTimeout)],
            [
                "rate limit",
                "\(daemon.rateLimit.requests) requests per \(ValueParsers.formatDuration(daemon.rateLimit.window)) "
                    + "per API token",
            ],
            ["max concurrent requests", String(daemon.maxConcurrentRequests)],
            ["default API token", daemon.apiToken?.source ?? "none"],
            ["auto begin verification", daemon.autoBegin.rawValue],
            ["default write token", daemon.apiWriteToken?.source ?? "none"],
            ["notify on first seen", daemon.notifyOnFirstSeen ? "yes" : "no"],
            ["stuck after", daemon.stuckAfter.map(ValueParsers.formatDuration) ?? "off"],
            ["delivery max age", ValueParsers.formatDuration(daemon.deliveryMaxAge)],
            ["log level", daemon.logLevel.rawValue],
        ]
        // Shown only when set, so the summary of a configuration without metrics is unchanged.
        let metrics = daemon.metricsListen.map { [["metrics", $0.url]] } ?? []
        // A proxy's credentials are never shown, only that it has some (docs/CONFIGURATION.md).
        let proxy = daemon.network.proxy.isEmpty ? [] : [["proxy", daemon.network.proxy.description]]
        let authorities = daemon.network.caFile.map { [["extra CAs", $0]] } ?? []
        return ["Daemon:"] + table(rows + metrics + proxy + authorities)
    }

    /// Per token: the requests per window with every account at its `poll_interval` (all pending, the worst
    /// case) and at its `settled_poll_interval` (the steady state), against the limit (docs/COMMANDS.md).
    static func budgetLines(_ config: Configuration) -> [String] {
        let limit = config.daemon.rateLimit
        let header =
            "Request budget (rate_limit \(limit.requests)/\(ValueParsers.formatDuration(limit.window)) "
            + "per API token):"
        let groups = RequestBudget.groups(for: config)
        guard !groups.isEmpty else { return [header, "  no enabled accounts"] }
        let rows = groups.map { group in
            [
                group.name, "\(group.accounts.count) account\(group.accounts.count == 1 ? "" : "s")",
                "all pending: \(group.requestsDescription) of \(group.limit) requests per "
                    + ValueParsers.formatDuration(group.window),
                "settled: \(group.settledRequestsDescription)", verdict(group),
            ]
        }
        return [header] + table(rows)
    }

    /// Whether the group fits: always, only while few enough accounts have a pending connector, or not even
    /// settled (then the budget spaces the polls).
    static func verdict(_ group: RequestBudget.Group) -> String {
        let smallest = ValueParsers.formatDuration(group.smallestFittingInterval)
        if group.fits { return "fits" }
        guard group.settledFits else {
            return "DOES NOT FIT: polls are spaced by the budget; smallest interval that fits: \(smallest)"
        }
        let pending = group.pendingAccountsThatFit
        return "fits while at most \(pending) account\(pending == 1 ? " has" : "s have") a pending connector; "
            + "smallest poll_interval that fits all: \(smallest)"
    }

    static func warningLines(_ warnings: [ConfigWarning]) -> [String] {
        guard !warnings.isEmpty else { return ["Warnings: none"] }
        return ["Warnings (\(warnings.count)):"] + warnings.map { "  \($0)" }
    }

    /// Rows as columns aligned with two spaces between them, indented by two; the last column is not padded.
    static func table(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            return "  " + cells.joined(separator: "  ")
        }
    }
}
