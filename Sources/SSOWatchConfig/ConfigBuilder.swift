import Foundation
import SSOWatchModel

/// Turns parsed INI sections into a ``Configuration``: one pass over the sections in file order,
/// collecting warnings and throwing the first error. Used by ``ConfigLoader``.
package struct ConfigBuilder {
    let path: String
    let environment: [String: String]
    let fileSystem: any ConfigFileSystem
    var warnings: [ConfigWarning] = []

    /// Lines of the `[daemon]` keys that later checks point at.
    struct DaemonLines {
        var rateLimit: Int?
        /// `auto_begin_verification`, which the accounts that inherit it are checked against.
        var autoBegin: Int?
    }

    init(path: String, environment: [String: String], fileSystem: any ConfigFileSystem) {
        self.path = path
        self.environment = environment
        self.fileSystem = fileSystem
    }

    func error(_ line: Int, _ message: String) -> ConfigError {
        ConfigError(path: path, line: line, message: message)
    }

    mutating func warn(_ line: Int, _ message: String) {
        warnings.append(ConfigWarning(path: path, line: line, message: message))
    }

    /// The section headers, checked: known kinds, names where needed, nothing repeated, at least one account.
    struct Outline {
        var daemon: INISection?
        /// Header line by name.
        var accounts: [String: Int] = [:]
        var webhooks: [String: Int] = [:]
    }

    /// Validates the whole file.
    mutating func build(_ sections: [INISection]) throws(ConfigError) -> Configuration {
        let outline = try outline(sections)
        let (daemon, daemonLines) = try daemonConfig(outline.daemon)
        var accounts: [AccountConfig] = []
        var webhooks: [WebhookConfig] = []
        var accountIDs: [String: (name: String, line: Int)] = [:]
        for section in sections {
            switch section.kind {
            case "account":
                accounts.append(
                    try accountConfig(
                        section, daemon: daemon, webhookNames: outline.webhooks, accountIDs: &accountIDs,
                        daemonAutoBeginLine: daemonLines.autoBegin))
            case "webhook":
                webhooks.append(try webhookConfig(section))
            default:
                break
            }
        }

        if webhooks.isEmpty {
            warn(1, "no [webhook \"NAME\"] section: changes are recorded in the state file but nobody is notified")
        }
        if let first = accounts.first, !accounts.contains(where: \.enabled) {
            warn(first.line, "every account has `enabled = false`: nothing will be polled")
        }
        var configuration = Configuration(
            path: path, daemon: daemon, accounts: accounts, webhooks: webhooks, warnings: [])
        // Only the settled schedule must fit: with adaptive polling, the budget not fitting every account at
        // its poll_interval is expected, and check-config's summary says how many pending accounts fit.
        for group in RequestBudget.groups(for: configuration) where !group.settledFits {
            let need = group.accounts.count == 1 ? "needs" : "share one API token and need"
            let window = ValueParsers.formatDuration(group.window)
            let smallest = ValueParsers.formatDuration(group.smallestFittingInterval)
            warn(
                daemonLines.rateLimit ?? group.firstLine,
                group.isAdaptive
                    ? "\(group.accountsDescription) \(need) \(group.settledRequestsDescription) requests per \(window) "
                        + "even when settled, more than rate_limit allows (\(group.limit)); polls will be spaced by the "
                        + "budget, less often than settled_poll_interval. A settled_poll_interval of at least "
                        + "\(smallest) fits"
                    : "\(group.accountsDescription) \(need) \(group.requestsDescription) requests per \(window), more "
                        + "than rate_limit allows (\(group.limit)); polls will come less often than poll_interval. "
                        + "A poll_interval of at least \(smallest) fits")
        }
        configuration.warnings = warnings
        return configuration
    }

    /// Checks the section headers in file order.
    func outline(_ sections: [INISection]) throws(ConfigError) -> Outline {
        var daemonSection: INISection?
        var accountLines: [String: Int] = [:]
        var webhookLines: [String: Int] = [:]
        for section in sections {
            switch section.kind {
            case "daemon":
                if section.name != nil {
                    throw error(section.line, "[daemon] takes no name; write just [daemon]")
                }
                if let first = daemonSection {
                    throw error(
                        section.line,
                        "repeated [daemon] section (the first is at line \(first.line)); "
                            + "merge them into one")
                }
                daemonSection = section
            case "account", "webhook":
                guard let name = section.name else {
                    throw error(section.line, "[\(section.kind)] needs a name: write [\(section.kind) \"NAME\"]")
                }
                let firstLine = section.kind == "account" ? accountLines[name] : webhookLines[name]
                if let firstLine {
                    throw error(
                        section.line,
                        "repeated \(section.header) (the first is at line \(firstLine)); "
                            + "each \(section.kind) needs its own name")
                }
                if section.kind == "account" {
                    accountLines[name] = section.line
                } else {
                    webhookLines[name] = section.line
                }
            default:
                throw error(section.line, ConfigSchema.unknownSectionMessage(section))
            }
        }
        guard !accountLines.isEmpty else {
            throw error(
                1,
                "no [account \"NAME\"] section: add one for each Cloudflare account to watch, with its "
                    + "account_id")
        }
        return Outline(daemon: daemonSection, accounts: accountLines, webhooks: webhookLines)
    }

    /// The section's entries by key, after checking that every key is known here and appears once.
    /// - Parameter webhookType: the `type` of a webhook section, for messages about type-specific keys.
    func keyedEntries(
        _ section: INISection, allowed: [String], webhookType: WebhookType? = nil
    ) throws(ConfigError) -> [String: INIEntry] {
        var entries: [String: INIEntry] = [:]
        for entry in section.entries {
            guard allowed.contains(entry.key) else {
                throw error(
                    entry.line, ConfigSchema.unknownKeyMessage(entry.key, in: section, webhookType: webhookType))
            }
            if let first = entries[entry.key] {
                throw error(
                    entry.line,
                    "duplicate key `\(entry.key)` in \(section.header) (first set at line "
                        + "\(first.line)); keep only one")
            }
            entries[entry.key] = entry
        }
        return entries
    }

    /// A value as it may appear in a message: only for keys that are not secrets, and shortened.
    static func shown(_ value: String) -> String {
        let short = value.count > 60 ? String(value.prefix(57)) + "..." : value
        return "`\(printable(short))`"
    }

    /// Text from the file with control and format characters escaped (`\n`, `\t`, `\u{1B}`), so that
    /// a message stays on one `PATH:LINE: message` line and cannot send escape sequences to a terminal.
    package static func printable(_ text: String) -> String {
        // Printable ASCII (paths, names) is shown as it is.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch (scalar, scalar.properties.generalCategory) {
            case ("\n", _): result += "\\n"
            case ("\t", _): result += "\\t"
            case (_, .control), (_, .format), (_, .lineSeparator), (_, .paragraphSeparator):
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
