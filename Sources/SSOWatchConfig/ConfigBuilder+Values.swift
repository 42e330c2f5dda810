import Foundation
import SSOWatchDNS

/// Typed values of non-secret keys, with range checks and messages that name the key.
extension ConfigBuilder {
    /// How durations may be written, for messages.
    static let durationForms = "write e.g. `45s`, `5m`, `1h30m`, `1d` or a number of seconds"

    func duration(_ entry: INIEntry) throws(ConfigError) -> TimeInterval {
        guard let seconds = ValueParsers.duration(entry.value) else {
            throw error(entry.line, "\(entry.key): \(Self.shown(entry.value)) is not a duration; \(Self.durationForms)")
        }
        return seconds
    }

    /// A duration within `range`; `rangeText` says the range the way docs/CONFIGURATION.md does.
    func duration(_ entry: INIEntry, in range: ClosedRange<TimeInterval>) throws(ConfigError) -> TimeInterval {
        let seconds = try duration(entry)
        guard range.contains(seconds) else {
            let low = ValueParsers.formatDuration(range.lowerBound)
            let got = ValueParsers.formatDuration(seconds)
            if range.upperBound >= ValueParsers.maximumDuration {
                throw error(entry.line, "\(entry.key) must be at least \(low) (got \(got))")
            }
            let high = ValueParsers.formatDuration(range.upperBound)
            throw error(entry.line, "\(entry.key) must be between \(low) and \(high) (got \(got))")
        }
        return seconds
    }

    /// `poll_interval`: at least 1s, with a warning below 30s.
    mutating func pollInterval(_ entry: INIEntry) throws(ConfigError) -> TimeInterval {
        let seconds = try duration(entry, in: 1...ValueParsers.maximumDuration)
        if seconds < 30 {
            warn(
                entry.line,
                "poll_interval \(ValueParsers.formatDuration(seconds)) is below 30s: it spends API "
                    + "requests quickly for little gain (check-config shows the request budget)")
        }
        return seconds
    }

    /// `settled_poll_interval`: `0` (the same as `poll_interval`) or a duration of at least 1s.
    func settledPollInterval(_ entry: INIEntry) throws(ConfigError) -> SettledPollInterval {
        let seconds = try duration(entry)
        return seconds == 0 ? .sameAsPollInterval : .seconds(seconds)
    }

    /// Rejects a `settled_poll_interval` written shorter than the `poll_interval` it goes with: a settled
    /// account would be polled more often than one with a pending connector.
    func checkSettled(_ entry: INIEntry, _ settled: SettledPollInterval, pollInterval: TimeInterval, scope: String)
        throws(ConfigError)
    {
        guard case .seconds(let seconds) = settled, seconds < pollInterval else { return }
        throw error(
            entry.line,
            "settled_poll_interval \(ValueParsers.formatDuration(seconds)) is shorter than \(scope)poll_interval "
                + "(\(ValueParsers.formatDuration(pollInterval))): settled accounts are polled less often than those "
                + "with a pending connector, not more; write at least \(ValueParsers.formatDuration(pollInterval)), or "
                + "0 for the same interval")
    }

    /// `dns_check_interval`: at least 1s; below 1m it warns, as a short `poll_interval` does.
    mutating func dnsCheckInterval(_ entry: INIEntry) throws(ConfigError) -> TimeInterval {
        let seconds = try duration(entry, in: 1...ValueParsers.maximumDuration)
        if seconds < 60 {
            warn(
                entry.line,
                "dns_check_interval \(ValueParsers.formatDuration(seconds)) is below 1m: every check asks each "
                    + "nameserver of each awaiting, pending or failed domain again")
        }
        return seconds
    }

    /// `dns_resolvers = system` or `ADDR[:PORT], …` (IPv6 as `[ADDR]:PORT`).
    func dnsResolvers(_ entry: INIEntry) throws(ConfigError) -> DNSCheckConfig.Resolvers {
        if entry.value == "system" { return .system }
        let items = entry.value.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmed(.whitespaces)
        }
        var addresses: [DNSServerAddress] = []
        for item in items {
            guard !item.isEmpty else {
                throw error(entry.line, "dns_resolvers has an empty entry; separate addresses with single commas")
            }
            guard let address = try? DNSServerAddress(parsing: item) else {
                throw error(
                    entry.line,
                    "dns_resolvers: \(Self.shown(item)) is not an IP address with an optional port; write "
                        + "system, or addresses such as 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53")
            }
            addresses.append(address)
        }
        return .servers(addresses)
    }

    /// `dns_query = authoritative | resolvers`.
    func dnsQuery(_ entry: INIEntry) throws(ConfigError) -> DNSCheckConfig.Query {
        guard let query = DNSCheckConfig.Query(rawValue: entry.value) else {
            throw error(
                entry.line, "dns_query: \(Self.shown(entry.value)) is not authoritative or resolvers")
        }
        return query
    }

    func bool(_ entry: INIEntry) throws(ConfigError) -> Bool {
        guard let value = ValueParsers.bool(entry.value) else {
            throw error(
                entry.line,
                "\(entry.key): \(Self.shown(entry.value)) is not a boolean; write true/false, "
                    + "yes/no, on/off or 1/0")
        }
        return value
    }

    func integer(_ entry: INIEntry, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = ValueParsers.integer(entry.value) else {
            throw error(entry.line, "\(entry.key): \(Self.shown(entry.value)) is not a whole number")
        }
        guard range.contains(value) else {
            throw error(
                entry.line,
                "\(entry.key) must be between \(range.lowerBound) and \(range.upperBound) "
                    + "(got \(value))")
        }
        return value
    }

    /// `jitter`: `0`, a percentage up to 50%, or a duration up to half of `interval`.
    func jitter(_ entry: INIEntry, interval: TimeInterval) throws(ConfigError) -> Jitter {
        if entry.value.hasSuffix("%") {
            guard let fraction = ValueParsers.percentage(entry.value) else {
                throw error(entry.line, "jitter: \(Self.shown(entry.value)) is not a percentage such as `10%`")
            }
            guard (0...0.5).contains(fraction) else {
                throw error(
                    entry.line, "jitter must be between 0% and 50% (got \(ValueParsers.formatPercentage(fraction)))")
            }
            return .fraction(fraction)
        }
        guard let seconds = ValueParsers.duration(entry.value) else {
            throw error(
                entry.line,
                "jitter: \(Self.shown(entry.value)) is neither a percentage (`10%`) nor a "
                    + "duration; \(Self.durationForms), or `0` to disable")
        }
        if seconds == 0 { return .fraction(0) }
        guard seconds <= interval / 2 else {
            throw error(
                entry.line,
                "jitter \(ValueParsers.formatDuration(seconds)) is more than half of poll_interval "
                    + "(\(ValueParsers.formatDuration(interval))); use at most "
                    + "\(ValueParsers.formatDuration(interval / 2)) or a percentage")
        }
        return .seconds(seconds)
    }

    /// `rate_limit`: `N/W` with N ≥ 1 and W a duration of at least 1s (durations are whole seconds).
    func rateLimit(_ entry: INIEntry) throws(ConfigError) -> RateLimit {
        guard let limit = ValueParsers.rateLimit(entry.value) else {
            throw error(
                entry.line,
                "rate_limit: \(Self.shown(entry.value)) is not `N/W` with N ≥ 1 requests and W a "
                    + "duration, e.g. `1000/5m`")
        }
        return limit
    }

    /// `state_file`: an absolute path to a file.
    func absoluteFilePath(_ entry: INIEntry) throws(ConfigError) -> String {
        guard entry.value.hasPrefix("/"), !entry.value.hasSuffix("/") else {
            throw error(
                entry.line,
                "\(entry.key) must be an absolute path to a file, such as "
                    + "`/var/lib/ssowatch/state.json` (got \(Self.shown(entry.value)))")
        }
        return entry.value
    }

    func logLevel(_ entry: INIEntry) throws(ConfigError) -> LogLevelSetting {
        if let level = LogLevelSetting(rawValue: entry.value) { return level }
        let names = LogLevelSetting.allCases.map(\.rawValue)
        var message = "log_level: \(Self.shown(entry.value)) is not a log level"
        if let suggestion = ValueParsers.suggestion(for: entry.value, among: names) {
            message += "; did you mean `\(suggestion)`?"
        } else {
            message += " (use one of \(names.joined(separator: ", ")))"
        }
        throw error(entry.line, message)
    }

    /// `api_base_url`: http(s) with a host, `http://` only for loopback hosts; returned without a trailing slash.
    func apiBaseURL(_ entry: INIEntry) throws(ConfigError) -> String {
        guard let components = URLComponents(string: entry.value), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw error(
                entry.line,
                "api_base_url is not an absolute http(s) URL such as "
                    + "`https://api.cloudflare.com/client/v4`")
        }
        guard components.user == nil, components.password == nil else {
            throw error(
                entry.line,
                "api_base_url must not contain a user name or password; give the token with "
                    + "api_token_file instead")
        }
        guard components.query == nil, components.fragment == nil else {
            throw error(entry.line, "api_base_url must not have a query (`?`) or fragment (`#`)")
        }
        guard scheme == "https" || Self.isLoopback(host) else {
            throw error(
                entry.line,
                "api_base_url uses http:// with host `\(host)`; http:// is accepted only for "
                    + "loopback hosts (127.0.0.0/8, ::1, localhost), use https://")
        }
        var url = entry.value
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// `true` for `localhost`, `127.0.0.0/8` and `::1`.
    static func isLoopback(_ host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ ValueParsers.integer(String($0)).map { $0 <= 255 } ?? false })
        else { return false }
        return octets[0] == "127"
    }
}
