import Foundation
import SSOWatchModel

/// `auto_begin_verification` and its write token (docs/CONFIGURATION.md, "Verification assistance").
extension ConfigBuilder {
    /// `off`, `on` or `dry-run`.
    func autoBeginMode(_ entry: INIEntry) throws(ConfigError) -> AutoBeginMode {
        if let mode = AutoBeginMode(rawValue: entry.value) { return mode }
        let names = AutoBeginMode.allCases.map(\.rawValue)
        var message =
            "auto_begin_verification: \(Self.shown(entry.value)) is not one of \(names.joined(separator: ", "))"
        if let suggestion = ValueParsers.suggestion(for: entry.value, among: names) {
            message += "; did you mean `\(suggestion)`?"
        }
        throw error(entry.line, message)
    }

    /// `on` calls Cloudflare on the strength of the DNS check alone, so it needs the check as it is meant to
    /// run (each authoritative nameserver asked directly) and a token that may write; `dry-run` needs neither.
    /// - Parameters:
    ///   - line: the line of the `auto_begin_verification` key that gave the account its mode.
    ///   - inherited: the mode comes from `[daemon]`.
    func checkAutoBegin(
        _ mode: AutoBeginMode, line: Int, inherited: Bool, account: String, hasWriteToken: Bool,
        dns: DNSCheckConfig
    ) throws(ConfigError) {
        guard mode == .on else { return }
        let which = inherited ? " (from [daemon], for [account \"\(account)\"])" : ""
        guard dns.enabled else {
            throw error(
                line,
                "auto_begin_verification = on\(which) needs the DNS check, but dns_check = off; turn the check on "
                    + "or use auto_begin_verification = dry-run")
        }
        guard dns.query == .authoritative else {
            throw error(
                line,
                "auto_begin_verification = on\(which) needs dns_query = authoritative: with dns_query = resolvers "
                    + "a cached answer could start a verification that Cloudflare's own check then fails")
        }
        guard hasWriteToken else {
            throw error(
                line,
                "auto_begin_verification = on\(which) needs a write token for account \"\(account)\": set "
                    + "api_write_token_file (or api_write_token, api_write_token_env, api_write_token_credential) "
                    + "in [account \"\(account)\"] or [daemon], with the \"SSO Connector Write\" permission; "
                    + "dry-run needs none")
        }
    }
}
