import Foundation
import SSOWatchModel

/// Decoding of the three section kinds. Keys are handled in file order so that the first error
/// reported is the first one in the file.
extension ConfigBuilder {
    /// `[daemon]`, or the defaults when the section is absent.
    mutating func daemonConfig(_ section: INISection?) throws(ConfigError) -> (DaemonConfig, DaemonLines) {
        var daemon = DaemonConfig.defaults(environment: environment)
        var lines = DaemonLines()
        guard let section else {
            daemon.network.proxy = try proxySettings(override: nil, line: 1)
            return (daemon, lines)
        }
        let entries = try keyedEntries(section, allowed: ConfigSchema.daemonKeys)
        var tokenEntry: INIEntry?
        var writeTokenEntry: INIEntry?
        var proxyEntry: INIEntry?
        var proxy: ProxyServer?
        var haEntry: INIEntry?
        for entry in section.entries {
            switch entry.key {
            case "state_file": daemon.stateFile = try absoluteFilePath(entry)
            case "poll_interval": daemon.pollInterval = try pollInterval(entry)
            case "settled_poll_interval": daemon.settledPollInterval = try settledPollInterval(entry)
            case "jitter": break  // checked below, against the final poll_interval
            case "api_base_url": daemon.apiBaseURL = try apiBaseURL(entry)
            case "request_timeout": daemon.requestTimeout = try duration(entry, in: 1...300)
            case "rate_limit":
                daemon.rateLimit = try rateLimit(entry)
                lines.rateLimit = entry.line
            case "max_concurrent_requests": daemon.maxConcurrentRequests = try integer(entry, in: 1...64)
            case "notify_on_first_seen": daemon.notifyOnFirstSeen = try bool(entry)
            case "stuck_after":
                // `0` disables; durations are whole seconds, so anything else is at least the 1s minimum.
                let seconds = try duration(entry)
                daemon.stuckAfter = seconds == 0 ? nil : seconds
            case "delivery_max_age": daemon.deliveryMaxAge = try duration(entry, in: 60...ValueParsers.maximumDuration)
            case "log_level": daemon.logLevel = try logLevel(entry)
            case "metrics_listen": daemon.metricsListen = try metricsListen(entry)
            case "dns_check": daemon.dns.enabled = try bool(entry)
            case "dns_resolvers": daemon.dns.resolvers = try dnsResolvers(entry)
            case "dns_query": daemon.dns.query = try dnsQuery(entry)
            case "dns_check_interval": daemon.dns.interval = try dnsCheckInterval(entry)
            case "dns_timeout": daemon.dns.timeout = try duration(entry, in: 1...60)
            case "dns_port": daemon.dns.port = try integer(entry, in: 1...65_535)
            case "ca_file":
                let authorities = try caFile(entry)
                daemon.network.caFile = authorities.path
                daemon.network.caPEM = authorities.pem
            case let key where key.hasPrefix("proxy"):
                proxy = try proxyServer(entry, previous: proxyEntry)
                proxyEntry = entry
            case "auto_begin_verification":
                daemon.autoBegin = try autoBeginMode(entry)
                lines.autoBegin = entry.line
            case let key where key.hasPrefix("api_write_token"):
                daemon.apiWriteToken = try secret(entry, base: "api_write_token", previous: writeTokenEntry)
                writeTokenEntry = entry
            case let key where key.hasPrefix("ha_postgres_url"):
                daemon.haPostgres = try postgresURL(entry, previous: haEntry)
                haEntry = entry
            default:  // the api_token* keys
                daemon.apiToken = try secret(entry, base: "api_token", previous: tokenEntry)
                tokenEntry = entry
            }
        }
        if let settledEntry = entries["settled_poll_interval"] {
            try checkSettled(settledEntry, daemon.settledPollInterval, pollInterval: daemon.pollInterval, scope: "")
        }
        if let jitterEntry = entries["jitter"] {
            daemon.jitter = try jitter(jitterEntry, interval: daemon.pollInterval)
        }
        daemon.network.proxy = try proxySettings(override: proxy, line: section.line)
        return (daemon, lines)
    }

    /// One `[account "NAME"]` section.
    /// - Parameters:
    ///   - webhookNames: every `[webhook]` name with its header line.
    ///   - accountIDs: ids seen so far, to reject a second section for the same account.
    ///   - daemonAutoBeginLine: the line of `auto_begin_verification` in `[daemon]`, if there is one.
    mutating func accountConfig(
        _ section: INISection, daemon: DaemonConfig, webhookNames: [String: Int],
        accountIDs: inout [String: (name: String, line: Int)], daemonAutoBeginLine: Int? = nil
    ) throws(ConfigError) -> AccountConfig {
        let name = section.name ?? ""
        let entries = try keyedEntries(section, allowed: ConfigSchema.accountKeys)
        var accountID: String?
        var token: Secret?
        var tokenEntry: INIEntry?
        var writeToken: Secret?
        var writeTokenEntry: INIEntry?
        var autoBegin: (mode: AutoBeginMode, line: Int)?
        var interval = daemon.pollInterval
        var intervalLine: Int?
        var settled = daemon.settledPollInterval
        var webhooks = webhookNames.sorted { $0.value < $1.value }.map(\.key)
        var enabled = true
        for entry in section.entries {
            switch entry.key {
            case "account_id":
                let id = entry.value.lowercased()
                guard id.count == 32, id.allSatisfy(\.isHexDigit), id.allSatisfy(\.isASCII) else {
                    throw error(
                        entry.line,
                        "account_id must be 32 hexadecimal characters, as in the dashboard URL "
                            + "(got \(Self.shown(entry.value)), \(entry.value.count) characters)")
                }
                if let other = accountIDs[id] {
                    throw error(
                        entry.line,
                        "account_id is the same as in [account \"\(other.name)\"] (line "
                            + "\(other.line)); one section per Cloudflare account")
                }
                accountIDs[id] = (name, entry.line)
                accountID = id
            case "poll_interval":
                interval = try pollInterval(entry)
                intervalLine = entry.line
            case "settled_poll_interval": settled = try settledPollInterval(entry)
            case "webhooks": webhooks = try webhookList(entry, known: webhookNames)
            case "enabled": enabled = try bool(entry)
            case "auto_begin_verification": autoBegin = (try autoBeginMode(entry), entry.line)
            case let key where key.hasPrefix("api_write_token"):
                writeToken = try secret(entry, base: "api_write_token", previous: writeTokenEntry)
                writeTokenEntry = entry
            default:  // the api_token* keys
                token = try secret(entry, base: "api_token", previous: tokenEntry)
                tokenEntry = entry
            }
        }
        guard let accountID else {
            throw error(
                section.line,
                "\(section.header) is missing account_id (the 32 hexadecimal characters "
                    + "of the account, as in the dashboard URL)")
        }
        if token == nil { token = try inheritedToken(daemon: daemon, section: section) }
        guard let token else {
            throw error(
                section.line,
                "no API token for account \"\(name)\": set api_token_file (or api_token, "
                    + "api_token_env, api_token_credential) here or in [daemon], or set CLOUDFLARE_API_TOKEN")
        }
        if let intervalLine, case .seconds(let spread) = daemon.jitter, spread > interval / 2 {
            warn(
                intervalLine,
                "jitter \(ValueParsers.formatDuration(spread)) is more than half of this "
                    + "poll_interval; this account's jitter is limited to \(ValueParsers.formatDuration(interval / 2))")
        }
        // Its own settled_poll_interval must not be shorter than its poll_interval; one inherited from
        // [daemon] yields to a longer poll_interval of the account's own (docs/CONFIGURATION.md).
        if let settledEntry = entries["settled_poll_interval"] {
            try checkSettled(
                settledEntry, settled, pollInterval: interval, scope: intervalLine == nil ? "the [daemon] " : "this ")
        }
        let mode = autoBegin?.mode ?? daemon.autoBegin
        if writeToken == nil, let inherited = daemon.apiWriteToken {
            writeToken = Secret(inherited.value, source: "[daemon] " + inherited.source)
        }
        try checkAutoBegin(
            mode, line: autoBegin?.line ?? daemonAutoBeginLine ?? section.line, inherited: autoBegin == nil,
            account: name, hasWriteToken: writeToken != nil, dns: daemon.dns)
        return AccountConfig(
            name: name, accountID: accountID, token: token, pollInterval: interval, webhooks: webhooks,
            enabled: enabled, line: section.line, settledPollInterval: settled.resolved(pollInterval: interval),
            autoBegin: mode, writeToken: writeToken)
    }

    /// The daemon's token, else `CLOUDFLARE_API_TOKEN` (checked like every other source, its problems
    /// reported at the header of the account that needs it), with a source that says where it came from.
    func inheritedToken(daemon: DaemonConfig, section: INISection) throws(ConfigError) -> Secret? {
        if let token = daemon.apiToken { return Secret(token.value, source: "[daemon] " + token.source) }
        do {
            return try SecretText.environmentToken(environment)
        } catch {
            throw self.error(
                section.line,
                "\(SecretText.environmentTokenVariable) \(error) (\(section.header) uses it: neither it nor "
                    + "[daemon] has an api_token* key); set the variable to the token alone")
        }
    }

    /// `webhooks = a, b`: every name must be a `[webhook]` section. Repeats are dropped.
    func webhookList(_ entry: INIEntry, known: [String: Int]) throws(ConfigError) -> [String] {
        var names: [String] = []
        for name in ValueParsers.list(entry.value) where !names.contains(name) {
            guard known[name] != nil else {
                var message = "webhooks: there is no [webhook \"\(Self.printable(String(name.prefix(64))))\"] section"
                if let suggestion = ValueParsers.suggestion(for: name, among: known.keys.sorted()) {
                    message += "; did you mean `\(suggestion)`?"
                } else if known.isEmpty {
                    message += " (no webhooks are defined)"
                } else {
                    message += " (defined: \(known.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")))"
                }
                throw error(entry.line, message)
            }
            names.append(name)
        }
        return names
    }

    /// One `[webhook "NAME"]` section.
    mutating func webhookConfig(_ section: INISection) throws(ConfigError) -> WebhookConfig {
        let name = section.name ?? ""
        let declaredType = section.entries.last { $0.key == "type" }.flatMap { WebhookType(rawValue: $0.value) }
        let allowed =
            ConfigSchema.webhookKeys
            + (declaredType.map { $0 == .generic } ?? true
                ? ConfigSchema.genericWebhookKeys : [])
        _ = try keyedEntries(section, allowed: allowed, webhookType: declaredType)
        var type: WebhookType?
        var url: Secret?
        var urlEntry: INIEntry?
        var signingSecret: Secret?
        var secretEntry: INIEntry?
        var events = EventKind.defaults
        var timeout: TimeInterval = 15
        for entry in section.entries {
            switch entry.key {
            case "type": type = try webhookType(entry)
            case "events": events = try eventKinds(entry)
            case "timeout": timeout = try duration(entry, in: 1...300)
            case let key where key.hasPrefix("url"):
                let secret = try secret(entry, base: "url", previous: urlEntry)
                try checkWebhookURL(secret, entry: entry, webhook: name)
                url = secret
                urlEntry = entry
            default:  // the secret* keys, generic only
                let secret = try secret(entry, base: "secret", previous: secretEntry)
                try checkSigningSecret(secret, entry: entry)
                signingSecret = secret
                secretEntry = entry
            }
        }
        guard let type else {
            throw error(
                section.line,
                "\(section.header) is missing `type` (one of "
                    + "\(WebhookType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let url else {
            throw error(
                section.line,
                "\(section.header) is missing its URL: set one of url, url_file, url_env, "
                    + "url_credential")
        }
        return WebhookConfig(
            name: name, type: type, url: url, events: events, secret: signingSecret, timeout: timeout,
            line: section.line)
    }

    func webhookType(_ entry: INIEntry) throws(ConfigError) -> WebhookType {
        if let type = WebhookType(rawValue: entry.value) { return type }
        let names = WebhookType.allCases.map(\.rawValue)
        var message = "unknown webhook type \(Self.shown(entry.value))"
        if let suggestion = ValueParsers.suggestion(for: entry.value, among: names) {
            message += "; did you mean `\(suggestion)`?"
        }
        throw error(entry.line, message + " (types: \(names.joined(separator: ", ")))")
    }

    /// `events = verified, failed` or `all`.
    func eventKinds(_ entry: INIEntry) throws(ConfigError) -> Set<EventKind> {
        let names = ValueParsers.list(entry.value)
        let valid = EventKind.allCases.map(\.rawValue) + ["all"]
        guard !names.isEmpty else {
            throw error(entry.line, "events is empty; list some of \(valid.joined(separator: ", "))")
        }
        var kinds: Set<EventKind> = []
        for name in names {
            if name == "all" {
                kinds.formUnion(EventKind.allCases)
            } else if let kind = EventKind(rawValue: name) {
                kinds.insert(kind)
            } else {
                var message = "events: unknown event \(Self.shown(name))"
                if let suggestion = ValueParsers.suggestion(for: name, among: valid) {
                    message += "; did you mean `\(suggestion)`?"
                }
                throw error(entry.line, message + " (valid: \(valid.joined(separator: ", ")))")
            }
        }
        return kinds
    }
}
