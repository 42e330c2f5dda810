import SSOWatchConfig
import SSOWatchModel
/// How `ssowatch connectors delete` gets consent before it deletes a connector (README, "Commands"):
/// `--yes` deletes at once; otherwise the connector is fetched and shown, with a warning when it is
/// enabled, and the question is asked on the terminal; without `--yes` and without a terminal nothing is
/// sent and the command is a usage error. Pure, so each decision is tested from literals.
public enum DeletionConfirmation {
    /// What to do before anything is sent.
    public enum Decision: Sendable, Equatable {
        /// `--yes`: delete without asking.
        case delete
        /// Fetch the connector, show it and ask on the terminal.
        case ask
        /// No `--yes` and no terminal to ask on: exit 64, nothing sent.
        case refuse
    }

    /// The decision for `--yes` and whether standard input is a terminal (the answer is read from it).
    public static func decide(yes: Bool, stdinIsTerminal: Bool) -> Decision {
        if yes { return .delete }
        return stdinIsTerminal ? .ask : .refuse
    }

    /// What the user sees before answering: the connector's domain, status and enabled flag, a warning when
    /// it is enabled, and the question ending in `[y/N] ` (no newline: the answer is typed after it).
    /// Values from Cloudflare are shown with control characters escaped, so a domain cannot move the cursor
    /// or hide the question.
    public static func prompt(for connector: Connector, id: String) -> String {
        let domain = ConfigBuilder.printable(connector.emailDomain ?? "(no email domain)")
        let status = ConfigBuilder.printable(connector.displayStatus)
        let enabled = connector.enabled.map { $0 ? "yes" : "no" } ?? "unknown"
        var lines = ["Connector \(id): email domain \(domain), status \(status), enabled \(enabled)."]
        if connector.enabled == true {
            lines.append(
                "Warning: this connector is enabled. Deleting it turns SSO off for \(domain): its users can no "
                    + "longer sign in through the identity provider.")
        }
        lines.append("Delete connector \(id) for \(domain) (status \(status))? [y/N] ")
        return lines.joined(separator: "\n")
    }

    /// Whether an answer means yes: `y` or `yes` in any case, surrounding blanks ignored. Anything else,
    /// and no answer at all (end of input), means no.
    public static func isYes(_ answer: String?) -> Bool {
        guard let answer else { return false }
        return ["y", "yes"].contains(answer.trimmed(.whitespacesAndNewlines).lowercased())
    }
}
