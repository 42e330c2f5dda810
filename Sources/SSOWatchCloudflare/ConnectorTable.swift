import SSOWatchConfig
import SSOWatchModel
/// Human-readable output of connectors for the `connectors` commands.
public enum ConnectorTable {
    /// A table: domain, status, enabled, id, TXT value.
    public static func render(_ connectors: [Connector]) -> String {
        guard !connectors.isEmpty else { return "No SSO connectors." }
        let header = ["DOMAIN", "STATUS", "ENABLED", "ID", "TXT VALUE"]
        let rows = connectors.map { connector in
            [
                connector.emailDomain ?? "-", connector.displayStatus,
                connector.enabled.map { $0 ? "yes" : "no" } ?? "-",
                connector.id ?? "-", connector.verificationCode ?? "-",
            ]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// One connector as `key: value` lines.
    public static func describe(_ connector: Connector) -> String {
        [
            ("id", connector.id ?? "-"), ("email_domain", connector.emailDomain ?? "-"),
            ("status", connector.displayStatus), ("enabled", connector.enabled.map { $0 ? "yes" : "no" } ?? "-"),
            ("use_fedramp_language", connector.useFedrampLanguage.map { $0 ? "yes" : "no" } ?? "-"),
            ("txt_value", connector.verificationCode ?? "-"), ("created_on", connector.createdOn ?? "-"),
            ("updated_on", connector.updatedOn ?? "-"),
        ].map { "\($0.0.padding(toLength: 21, withPad: " ", startingAt: 0)) \($0.1)" }.joined(separator: "\n")
    }

    /// What to publish in DNS for a newly created connector.
    public static func dnsInstructions(_ connector: Connector) -> String {
        guard let code = connector.verificationCode, let domain = connector.emailDomain else { return "" }
        return "\nPublish this DNS record to prove ownership:\n  \(domain).  TXT  \"\(code)\""
    }
}
