import Foundation
import SSOWatchModel

/// A secret value (API token, webhook URL, signing secret). Its `description` never shows the
/// value, so it cannot leak through string interpolation into a log or error message.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself. Read it only where it is sent.
    public let value: String
    /// Where it came from, safe to show: `api_token_file=/etc/ssowatch/token`, `env CLOUDFLARE_API_TOKEN`.
    public let source: String

    /// Creates a secret.
    public init(_ value: String, source: String) {
        self.value = value
        self.source = source
    }

    public var description: String { "<secret from \(source)>" }
    public var debugDescription: String { description }
}

/// The chat services ssowatch can notify.
public enum WebhookType: String, Sendable, CaseIterable, Hashable {
    case slack, discord, teams, mattermost, rocketchat, ntfy, generic
    case googleChat = "google-chat"
}

/// `jitter` in `[daemon]`: a fraction of the interval or a fixed duration.
public enum Jitter: Sendable, Hashable {
    /// A fraction of the poll interval, 0...0.5.
    case fraction(Double)
    /// A fixed number of seconds (at most half of the interval).
    case seconds(TimeInterval)

    /// The maximum random spread for a given interval, in seconds.
    public func spread(for interval: TimeInterval) -> TimeInterval {
        switch self {
        case .fraction(let f): return interval * f
        case .seconds(let s): return min(s, interval / 2)
        }
    }
}

/// `rate_limit = N/W`: at most `requests` API requests in any `window`-long window.
public struct RateLimit: Sendable, Hashable {
    public var requests: Int
    public var window: TimeInterval
    public init(requests: Int, window: TimeInterval) {
        self.requests = requests
        self.window = window
    }
}

/// `settled_poll_interval` in `[daemon]` (docs/CONFIGURATION.md): how often an account whose connectors are all
/// settled is polled, before each account's own `poll_interval` is known.
public enum SettledPollInterval: Sendable, Hashable {
    /// Not set: 30 minutes, or the account's `poll_interval` when that is longer.
    case unset
    /// `0`: the same as the account's `poll_interval` (adaptive polling off).
    case sameAsPollInterval
    /// A duration written in `[daemon]`; an account whose own `poll_interval` is longer uses that instead.
    case seconds(TimeInterval)

    /// The default when the key is not set.
    public static let defaultSeconds: TimeInterval = 1800

    /// The settled interval of an account polled every `pollInterval` that inherits this setting: never
    /// shorter than `pollInterval`.
    public func resolved(pollInterval: TimeInterval) -> TimeInterval {
        switch self {
        case .unset: return max(Self.defaultSeconds, pollInterval)
        case .sameAsPollInterval: return pollInterval
        case .seconds(let seconds): return max(seconds, pollInterval)
        }
    }
}

/// Log levels accepted by `log_level`.
public enum LogLevelSetting: String, Sendable, CaseIterable, Hashable {
    case debug, info, notice, warning, error
}

/// The `[daemon]` section with defaults applied.
public struct DaemonConfig: Sendable, Hashable {
    public var stateFile: String
    public var pollInterval: TimeInterval
    /// `settled_poll_interval`, as written in `[daemon]`; each account's is ``AccountConfig/settledPollInterval``.
    public var settledPollInterval: SettledPollInterval = .unset
    public var jitter: Jitter
    /// Base URL without a trailing slash, e.g. `https://api.cloudflare.com/client/v4`.
    public var apiBaseURL: String
    public var requestTimeout: TimeInterval
    public var rateLimit: RateLimit
    public var maxConcurrentRequests: Int
    /// The daemon-wide default token, if one of the four `api_token*` keys was set.
    public var apiToken: Secret?
    public var notifyOnFirstSeen: Bool
    /// `nil` when `stuck_after = 0` (disabled).
    public var stuckAfter: TimeInterval?
    public var deliveryMaxAge: TimeInterval
    public var logLevel: LogLevelSetting
    /// Where the Prometheus `/metrics` endpoint listens; `nil` (the default) turns metrics off.
    public var metricsListen: MetricsEndpoint?
    /// The `dns_*` keys.
    public var dns = DNSCheckConfig()
    /// `proxy*` and `ca_file`, and the proxy variables of the environment.
    public var network = NetworkSettings()
    /// `auto_begin_verification`: the default of every account.
    public var autoBegin = AutoBeginMode.off
    /// The default write token, if one of the four `api_write_token*` keys was set. Only
    /// `begin_verification` uses it; polling never does.
    public var apiWriteToken: Secret?
    /// `ha_postgres_url*`: the database of an active/passive pair (docs/HA.md); `nil` (the default) keeps
    /// the state in `stateFile`.
    public var haPostgres: PostgresURL?

    /// The defaults of docs/CONFIGURATION.md, for a given environment (`STATE_DIRECTORY`).
    public static func defaults(environment: [String: String]) -> DaemonConfig {
        let stateDirectory = environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first }.map(String.init)
        return DaemonConfig(
            stateFile: stateDirectory.map { "\($0)/state.json" } ?? "/var/lib/ssowatch/state.json",
            pollInterval: 300, jitter: .fraction(0.10), apiBaseURL: "https://api.cloudflare.com/client/v4",
            requestTimeout: 30, rateLimit: RateLimit(requests: 1000, window: 300), maxConcurrentRequests: 4,
            apiToken: nil, notifyOnFirstSeen: false, stuckAfter: 86_400, deliveryMaxAge: 86_400, logLevel: .info,
            metricsListen: nil)
    }
}

/// One `[account "NAME"]` section, with its token resolved.
public struct AccountConfig: Sendable, Hashable {
    public var name: String
    /// 32 lowercase hex characters.
    public var accountID: String
    /// The token this account uses (its own, the daemon's, or `CLOUDFLARE_API_TOKEN`).
    public var token: Secret
    /// The account's interval (its own or the daemon's).
    public var pollInterval: TimeInterval
    /// Names of the webhooks that receive this account's events (all webhooks when not given).
    public var webhooks: [String]
    public var enabled: Bool
    /// Line of the section header, for messages.
    public var line: Int
    /// How often the account is polled while all its connectors are settled (docs/MONITORING.md, adaptive
    /// polling): its own `settled_poll_interval` or the daemon's, never shorter than ``pollInterval``;
    /// `nil` means the same as ``pollInterval``.
    public var settledPollInterval: TimeInterval? = nil

    /// The interval between polls while every connector is `verified`, `failed` or `awaiting` (or there are none).
    public var settledInterval: TimeInterval { max(settledPollInterval ?? pollInterval, pollInterval) }

    /// Whether the account is polled less often once settled.
    public var isAdaptive: Bool { settledInterval > pollInterval }
    /// `auto_begin_verification`: its own or the daemon's.
    public var autoBegin = AutoBeginMode.off
    /// The token `begin_verification` is called with (its own or the daemon's); never used for polling.
    public var writeToken: Secret?
}

/// One `[webhook "NAME"]` section, with its secrets resolved.
public struct WebhookConfig: Sendable, Hashable {
    public var name: String
    public var type: WebhookType
    public var url: Secret
    public var events: Set<EventKind>
    /// Standard Webhooks secret (`whsec_…`), `generic` only.
    public var secret: Secret?
    public var timeout: TimeInterval
    public var line: Int

    /// The URL's host, the only part of a webhook URL that may be shown or logged.
    public var host: String { URLComponents(string: url.value)?.host ?? "(invalid URL)" }
}

/// A problem worth telling the operator that does not stop the daemon: `PATH:LINE: warning: message`.
public typealias ConfigWarning = ConfigMessage<ConfigMessageKind.Warning>

/// The whole validated configuration.
public struct Configuration: Sendable, Hashable {
    /// The file it was read from.
    public var path: String
    public var daemon: DaemonConfig
    public var accounts: [AccountConfig]
    public var webhooks: [WebhookConfig]
    public var warnings: [ConfigWarning]

    /// The account with this name.
    public func account(named name: String) -> AccountConfig? { accounts.first { $0.name == name } }
    /// The webhook with this name.
    public func webhook(named name: String) -> WebhookConfig? { webhooks.first { $0.name == name } }
}

/// A configuration error: `PATH:LINE: message`. Exit status 78.
public typealias ConfigError = ConfigMessage<ConfigMessageKind.Error>

/// What the configuration says about a place in its file: an error or a warning.
public struct ConfigMessage<Kind: ConfigMessageKind.Kind>: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String

    /// A message about line `line` of `path`.
    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String { "\(path):\(line): \(Kind.prefix)\(message)" }
}

/// The kinds of `ConfigMessage`.
public enum ConfigMessageKind {
    /// What a kind adds before the message.
    public protocol Kind: Sendable, Hashable {
        static var prefix: String { get }
    }

    /// Stops the daemon from starting (exit 78).
    public enum Error: Kind {
        public static let prefix = ""
    }

    /// Logged; the daemon runs.
    public enum Warning: Kind {
        public static let prefix = "warning: "
    }
}
