import Foundation

/// Which keys each section accepts, and the messages for keys it does not (docs/CONFIGURATION.md).
enum ConfigSchema {
    /// The section kinds, in the order they are documented.
    static let sectionKinds = ["daemon", "account", "webhook"]

    /// The four ways to give one secret: inline, from a file, from the environment, from a systemd credential.
    static func secretKeys(_ base: String) -> [String] {
        [base, base + "_file", base + "_env", base + "_credential"]
    }

    static let daemonKeys =
        [
            "state_file", "poll_interval", "settled_poll_interval", "jitter", "api_base_url", "request_timeout",
            "rate_limit",
            "max_concurrent_requests", "notify_on_first_seen", "stuck_after", "delivery_max_age", "log_level",
            "metrics_listen", "dns_check", "dns_resolvers", "dns_query", "dns_check_interval", "dns_timeout",
            "dns_port", "ca_file", "auto_begin_verification",
        ] + secretKeys("api_token") + secretKeys("proxy") + secretKeys("api_write_token")
        + secretKeys("ha_postgres_url")

    static let accountKeys =
        ["account_id", "poll_interval", "settled_poll_interval", "webhooks", "enabled", "auto_begin_verification"]
        + secretKeys("api_token") + secretKeys("api_write_token")

    static let webhookKeys = ["type", "events", "timeout"] + secretKeys("url")

    /// Keys of `[webhook]` that only a `generic` webhook accepts.
    static let genericWebhookKeys = secretKeys("secret")

    /// Keys valid in a section of this kind (for webhooks, of any type).
    static func keys(for kind: String) -> [String] {
        switch kind {
        case "daemon": return daemonKeys
        case "account": return accountKeys
        case "webhook": return webhookKeys + genericWebhookKeys
        default: return []
        }
    }

    /// `true` for `lower_snake_case` keys.
    static func isLowerSnakeCase(_ key: String) -> Bool {
        guard let first = key.first, first.isASCII, first.isLowercase else { return false }
        return key.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
    }

    /// The message for a key that `section` does not accept.
    ///
    /// Unknown keys are repeated only when they look like keys: a long or odd "key" may be a pasted
    /// secret that happened to contain `=`.
    static func unknownKeyMessage(_ key: String, in section: INISection, webhookType: WebhookType?) -> String {
        let allowed = keys(for: section.kind)
        guard isLowerSnakeCase(key) else {
            if let suggestion = ValueParsers.suggestion(for: key, among: allowed) {
                if key.lowercased().replacingOccurrences(of: "-", with: "_") == suggestion {
                    return "keys are case-sensitive lower_snake_case: write `\(suggestion)`"
                }
                return "invalid key name in \(section.header): keys are lower_snake_case; did you mean `\(suggestion)`?"
            }
            return "invalid key name in \(section.header): keys are lower_snake_case (a–z, 0–9 and `_`)"
        }
        guard key.count <= 40 else {
            return "unknown key in \(section.header) (keys are short lower_snake_case words such as `poll_interval`)"
        }
        if section.kind == "webhook", genericWebhookKeys.contains(key), let webhookType, webhookType != .generic {
            return "`\(key)` is only for webhooks of type `generic`; this one is `\(webhookType.rawValue)`"
        }
        let elsewhere = sectionKinds.filter { $0 != section.kind && keys(for: $0).contains(key) }
        if !elsewhere.isEmpty {
            let places = elsewhere.map { $0 == "daemon" ? "[daemon]" : "[\($0) \"NAME\"]" }.joined(separator: " or ")
            return "`\(key)` is not valid in \(section.header); it belongs in \(places)"
        }
        var message = "unknown key `\(key)` in \(section.header)"
        if let suggestion = ValueParsers.suggestion(for: key, among: allowed) {
            message += "; did you mean `\(suggestion)`?"
        } else {
            message += " (valid keys: \(allowed.joined(separator: ", ")))"
        }
        return message
    }

    /// The message for a section kind that does not exist.
    static func unknownSectionMessage(_ section: INISection) -> String {
        var message = "unknown section [\(section.kind)]"
        if let suggestion = ValueParsers.suggestion(for: section.kind, among: sectionKinds) {
            message += "; did you mean [\(suggestion)\(suggestion == "daemon" ? "" : " \"NAME\"")]?"
        } else {
            message += " (sections are [daemon], [account \"NAME\"] and [webhook \"NAME\"])"
        }
        return message
    }
}
