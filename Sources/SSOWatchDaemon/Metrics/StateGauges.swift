import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// The gauges that describe what the state file knows — each connector's status and since when, each
/// account's failing streak — kept as plain values per account and written out at scrape time.
///
/// A poll replaces its account's entry wholesale, so a status that changed or a connector that was
/// removed can never leave a stale series behind, and the cost of a poll is proportional to that
/// account's connectors only.
struct StateGauges: Sendable, Equatable {
    /// One connector's series.
    struct Connector: Sendable, Equatable {
        var id: String
        /// The email domain, or empty when Cloudflare never reported one.
        var domain: String
        /// One of ``StateGauges/statuses``.
        var status: String
        /// Unix seconds.
        var since: Int64
        /// The latest DNS check's result, `nil` before the first.
        var dnsResult: String?
    }

    /// One enabled account's series.
    struct Account: Sendable, Equatable {
        var name: String
        var consecutiveFailures: Int
        /// Whether its latest poll was declared overdue.
        var overdue: Bool
        /// Unix seconds of its latest successful poll, `nil` before the first.
        var lastSuccess: Double?
        /// The interval it is polled at now (adaptive polling: its `poll_interval` or `settled_poll_interval`).
        var pollInterval: TimeInterval = 0
        /// Sorted by domain, then id, so that the output is stable.
        var connectors: [Connector]
    }

    /// The values of the `status` label: the four Cloudflare statuses, and `unknown` for a connector
    /// that has not reported one of them yet.
    static let statuses = VerificationStatus.allCases.map(\.rawValue) + ["unknown"]

    /// Enabled accounts by account id.
    var accounts: [String: Account] = [:]

    /// The series of one account, from its configuration and stored state (`nil`: never polled).
    static func account(_ config: AccountConfig, state: AccountState?) -> Account {
        var series = account(name: config.name, state: state)
        series.pollInterval = PollPace.of(state).interval(for: config)
        return series
    }

    /// The series of one account, from its stored state (`nil`: never polled).
    static func account(name: String, state: AccountState?) -> Account {
        let connectors = (state?.connectors.values).map { values in
            values.map { connector in
                Connector(
                    id: connector.id, domain: connector.emailDomain ?? "",
                    // The last *known* status, as events use: one odd answer does not flap the gauge.
                    status: connector.status?.rawValue ?? "unknown",
                    since: Int64(connector.statusSince.timeIntervalSince1970.rounded(.down)),
                    dnsResult: connector.dns?.result.rawValue)
            }
        }
        return Account(
            name: name, consecutiveFailures: state?.consecutiveFailures ?? 0, overdue: state?.overdue ?? false,
            lastSuccess: state?.lastSuccess.map { $0.timeIntervalSince1970.rounded(.down) },
            connectors: (connectors ?? []).sorted { ($0.domain, $0.id) < ($1.domain, $1.id) })
    }

    /// Appends the seven families in the Prometheus text format (version 0.0.4).
    func render(into text: inout String) {
        let ordered = accounts.values.sorted { $0.name < $1.name }
        text += "# HELP ssowatch_connector_status Status of each SSO connector's domain verification: "
        text += "1 for its current status, 0 for the others.\n"
        text += "# TYPE ssowatch_connector_status gauge\n"
        for account in ordered {
            for connector in account.connectors {
                let labels = Self.labels(account: account, connector: connector)
                for status in Self.statuses {
                    text += "ssowatch_connector_status{\(labels),status=\"\(status)\"} "
                    text += status == connector.status ? "1\n" : "0\n"
                }
            }
        }
        text += "# HELP ssowatch_connector_status_since_seconds Unix time since which each connector has had "
        text += "its current status.\n"
        text += "# TYPE ssowatch_connector_status_since_seconds gauge\n"
        for account in ordered {
            for connector in account.connectors {
                text +=
                    "ssowatch_connector_status_since_seconds{\(Self.labels(account: account, connector: connector))} "
                text += "\(connector.since)\n"
            }
        }
        text += "# HELP ssowatch_dns_check The latest check of each checked connector's TXT record on its "
        text += "domain's nameservers: 1 for its result, 0 for the others.\n"
        text += "# TYPE ssowatch_dns_check gauge\n"
        for account in ordered {
            for connector in account.connectors {
                guard let current = connector.dnsResult else { continue }
                let labels = Self.labels(account: account, connector: connector)
                for result in DNSRecordCheck.Result.allCases {
                    text += "ssowatch_dns_check{\(labels),result=\"\(result.rawValue)\"} "
                    text += result.rawValue == current ? "1\n" : "0\n"
                }
            }
        }
        text += "# HELP ssowatch_account_consecutive_failures Failed polls of each account since its last "
        text += "successful one.\n"
        text += "# TYPE ssowatch_account_consecutive_failures gauge\n"
        for account in ordered {
            text += "ssowatch_account_consecutive_failures{account=\"\(Self.escape(account.name))\"} "
            text += "\(account.consecutiveFailures)\n"
        }
        text += "# HELP ssowatch_account_overdue 1 while an account's latest poll outlived request_timeout plus "
        text += "a margin and was cancelled, else 0.\n"
        text += "# TYPE ssowatch_account_overdue gauge\n"
        for account in ordered {
            text += "ssowatch_account_overdue{account=\"\(Self.escape(account.name))\"} \(account.overdue ? 1 : 0)\n"
        }
        text += "# HELP ssowatch_account_poll_interval_seconds The interval each account is polled at now: its "
        text +=
            "poll_interval while a connector is pending or unknown, its settled_poll_interval once all are settled.\n"
        text += "# TYPE ssowatch_account_poll_interval_seconds gauge\n"
        for account in ordered {
            text += "ssowatch_account_poll_interval_seconds{account=\"\(Self.escape(account.name))\"} "
            text += "\(Int64(account.pollInterval.rounded()))\n"
        }
        text += "# HELP ssowatch_account_last_success_timestamp_seconds Unix time of each account's latest "
        text += "successful poll (absent before the first).\n"
        text += "# TYPE ssowatch_account_last_success_timestamp_seconds gauge\n"
        for account in ordered {
            guard let lastSuccess = account.lastSuccess else { continue }
            text += "ssowatch_account_last_success_timestamp_seconds{account=\"\(Self.escape(account.name))\"} "
            text += "\(Int64(lastSuccess))\n"
        }
    }

    private static func labels(account: Account, connector: Connector) -> String {
        "account=\"\(escape(account.name))\",connector=\"\(escape(connector.id))\","
            + "domain=\"\(escape(connector.domain))\""
    }

    /// A label value escaped as the text format requires: backslash, double quote and line feed.
    static func escape(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
