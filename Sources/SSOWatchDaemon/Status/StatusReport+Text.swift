import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

extension StatusReport {
    /// `ssowatch status` for a person: accounts, a connector table, webhooks and the outbox size,
    /// with times in UTC and how long ago they were. Ends with a newline.
    public static func text(
        state: StateDocument, configuration: Configuration?, now: Date, pair: PairStatus? = nil
    ) -> String {
        let view = StatusReportView(state: state, configuration: configuration)
        var lines: [String] = []
        if let pair {
            lines.append("Pair (PostgreSQL \(pair.database)): this host is \(pair.role.rawValue)")
            if let leader = pair.leader {
                lines.append(
                    "  leader: \(leader.host) (pid \(leader.pid), epoch \(leader.epoch)) since \(human(leader.since, now: now))"
                )
            } else {
                lines.append("  leader: none (no instance holds the leadership)")
            }
        }

        lines.append("Accounts (\(view.accounts.count)):")
        if view.accounts.isEmpty { lines.append("  none") }
        for account in view.accounts {
            var parts: [String] = []
            if account.enabled == false { parts.append("disabled") }
            let count = account.state?.connectors.count ?? 0
            parts.append("\(count) connector\(count == 1 ? "" : "s")")
            if let interval = account.interval, let pace = account.pace {
                parts.append(
                    "polled every \(ValueParsers.formatDuration(interval)) (\(pace == .settled ? "settled" : "frequent"))"
                )
            }
            if let lastPoll = account.state?.lastPoll {
                parts.append("last poll \(human(lastPoll, now: now))")
            } else {
                parts.append("never polled")
            }
            if let state = account.state, let error = state.lastError {
                let failures = state.consecutiveFailures
                let times = failures == 1 ? "1 failed poll" : "\(failures) failed polls"
                let since = state.lastSuccess.map { "; last success \(human($0, now: now))" } ?? ""
                parts.append("FAILING (\(times)\(since)): \(error)")
            } else if account.state?.lastSuccess != nil {
                parts.append("ok")
            }
            lines.append("  \(account.name) (\(account.accountID)): " + parts.joined(separator: "; "))
        }

        let connectors = view.connectors
        lines.append("")
        lines.append("Connectors (\(connectors.count)):")
        if connectors.isEmpty {
            lines.append("  none")
        } else {
            let header = ["ACCOUNT", "DOMAIN", "STATUS", "SINCE", "ENABLED", "ID"]
            let rows = connectors.map { account, connector in
                [
                    account.name, connector.emailDomain ?? "-", connector.displayStatus,
                    human(connector.statusSince, now: now), connector.enabled.map { $0 ? "yes" : "no" } ?? "-",
                    connector.id,
                ]
            }
            lines.append(contentsOf: table([header] + rows).map { "  " + $0 })
        }
        let attempts = connectors.compactMap { account, connector in
            connector.autoBegin?.latest.map { (account, connector, $0) }
        }
        if !attempts.isEmpty {
            lines.append("")
            lines.append("Verification assistance (auto_begin_verification):")
            for (account, connector, attempt) in attempts {
                // Failures stand out, as a failing account's do.
                let failed = attempt.outcome == .refused || attempt.outcome == .error
                let outcome = failed ? attempt.outcome.rawValue.uppercased() : attempt.outcome.rawValue
                lines.append(
                    "  \(account.name) \(connector.emailDomain ?? connector.id): \(attempt.mode.rawValue), "
                        + "\(outcome) \(human(attempt.at, now: now)): \(attempt.detail)")
            }
        }

        lines.append("")
        lines.append("Webhooks (\(view.webhooks.count)):")
        if view.webhooks.isEmpty { lines.append("  none") }
        for webhook in view.webhooks {
            let kind = webhook.config.map { " (\($0.type.rawValue), \($0.host))" } ?? ""
            var health = "ok"
            if let delivery = webhook.delivery, delivery.failing {
                health = "FAILING" + (delivery.lastError.map { ": \($0)" } ?? "")
            }
            lines.append("  \(webhook.name)\(kind): \(webhook.queued) queued; \(health)")
        }

        lines.append("")
        let undelivered = state.outbox.count
        lines.append("Outbox: \(undelivered) undelivered notification\(undelivered == 1 ? "" : "s")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `2026-11-29 10:15:00 UTC (5m ago)`.
    static func human(_ date: Date, now: Date) -> String {
        let p = utc(date)
        let stamp = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d UTC", p.year, p.month, p.day, p.hour, p.minute, p.second)
        let age = now.timeIntervalSince(date)
        return age >= 0 ? "\(stamp) (\(roughDuration(age)) ago)" : "\(stamp) (in \(roughDuration(-age)))"
    }

    /// The two largest units of a duration: `45s`, `5m12s`, `2h5m`, `3d4h`.
    static func roughDuration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded(.down))
        let units = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        guard let first = units.firstIndex(where: { total >= $0.1 }) else { return "0s" }
        var rest = total
        var text = ""
        for (unit, size) in units[first..<min(first + 2, units.count)] {
            let amount = rest / size
            rest %= size
            if amount > 0 || text.isEmpty { text += "\(amount)\(unit)" }
        }
        return text
    }

    /// Left-aligned columns separated by two spaces, without trailing blanks.
    private static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated()
                .map { index, cell in
                    index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
                }
                .joined(separator: "  ")
        }
    }
}
