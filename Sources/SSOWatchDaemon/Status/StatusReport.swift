import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `ssowatch status` prints: the state file seen through the configuration, as the JSON
/// object of docs/COMMANDS.md or as text for a person. Pure: the caller reads the file and the clock.
///
/// With a configuration, accounts and webhooks are the configured ones, in file order (an account
/// never polled shows `null` times and 0 connectors). Without one (`--state-file`), they are the
/// ones the state file knows, by name, and what only the configuration knows (`enabled`, `type`,
/// `host`) is `null`.
public enum StatusReport {
    /// The `status --json` object, keys in the documented order, pretty-printed, without a final newline.
    /// - Parameter health: what the daemon recorded about its latest state write (`state` in the output).
    /// - Parameter pair: the active/passive pair (`ha` in the output), `nil` without one.
    public static func json(
        state: StateDocument, configuration: Configuration?, now: Date, health: StateHealth? = nil,
        pair: PairStatus? = nil
    ) -> String {
        let view = StatusReportView(state: state, configuration: configuration)
        let accounts: [Value] = view.accounts.map { account in
            .object([
                ("name", .string(account.name)),
                ("account_id", .string(account.accountID)),
                ("enabled", account.enabled.map(Value.bool) ?? .null),
                ("last_poll", time(account.state?.lastPoll)),
                ("last_success", time(account.state?.lastSuccess)),
                ("last_error", account.state?.lastError.map(Value.string) ?? .null),
                ("overdue", .bool(account.state?.overdue ?? false)),
                ("pace", account.pace.map { .string($0.rawValue) } ?? .null),
                ("interval", account.interval.map { .number(Int($0.rounded())) } ?? .null),
                ("connectors", .number(account.state?.connectors.count ?? 0)),
            ])
        }
        let connectors: [Value] = view.connectors.map { account, connector in
            .object([
                ("account", .string(account.name)),
                ("account_id", .string(account.accountID)),
                ("id", .string(connector.id)),
                ("email_domain", connector.emailDomain.map(Value.string) ?? .null),
                ("status", .string(connector.displayStatus)),
                ("status_since", time(connector.statusSince)),
                ("enabled", connector.enabled.map(Value.bool) ?? .null),
                ("last_seen", time(connector.lastSeen)),
                ("verification_code", connector.verificationCode.map(Value.string) ?? .null),
                ("dns", connector.dns.map(dnsValue) ?? .null),
                ("auto_begin", connector.autoBegin?.latest.map(autoBeginValue) ?? .null),
            ])
        }
        let webhooks: [Value] = view.webhooks.map { webhook in
            .object([
                ("name", .string(webhook.name)),
                ("type", webhook.config.map { .string($0.type.rawValue) } ?? .null),
                ("host", webhook.config.map { .string($0.host) } ?? .null),
                ("queued", .number(webhook.queued)),
                ("failing", .bool(webhook.delivery?.failing ?? false)),
                ("last_error", webhook.delivery?.lastError.map(Value.string) ?? .null),
            ])
        }
        let root = Value.object([
            ("accounts", .array(accounts)),
            ("connectors", .array(connectors)),
            ("webhooks", .array(webhooks)),
            ("outbox", .number(state.outbox.count)),
            (
                "state",
                .object([
                    ("last_saved", time(health?.lastSaved)),
                    ("last_error", health?.lastError.map(Value.string) ?? .null),
                ])
            ),
            ("ha", pair.map(pairValue) ?? .null),
        ])
        var output = ""
        root.write(to: &output, indent: 0)
        return output
    }

    private static func pairValue(_ pair: PairStatus) -> Value {
        .object([
            ("role", .string(pair.role.rawValue)),
            (
                "leader",
                pair.leader.map { leader in
                    .object([
                        ("host", .string(leader.host)), ("pid", .number(leader.pid)), ("epoch", .number(leader.epoch)),
                    ])
                } ?? .null
            ),
        ])
    }

    /// An ISO 8601 UTC time without fractional seconds, e.g. `2026-11-29T10:15:00Z`.
    public static func iso8601(_ date: Date) -> String {
        let parts = utc(date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year, parts.month, parts.day, parts.hour,
            parts.minute, parts.second)
    }

    static func utc(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return (
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour),
            Int(parts.tm_min), Int(parts.tm_sec)
        )
    }

    private static func time(_ date: Date?) -> Value { date.map { .string(iso8601($0)) } ?? .null }

    /// A JSON value whose objects keep their keys in the order given.
    /// The latest DNS check of a connector's TXT record (docs/DNS.md).
    static func dnsValue(_ check: DNSRecordCheck) -> Value {
        .object([
            ("result", .string(check.result.rawValue)),
            ("detail", .string(check.detail)),
            ("nameservers", .array(check.nameservers.map(Value.string))),
            ("agreeing", .number(check.agreeing)),
            ("checked", time(check.checked)),
        ])
    }

    /// The latest `auto_begin_verification` attempt (docs/COMMANDS.md).
    static func autoBeginValue(_ attempt: AutoBeginAttempt) -> Value {
        .object([
            ("mode", .string(attempt.mode.rawValue)),
            ("outcome", .string(attempt.outcome.rawValue)),
            ("at", time(attempt.at)),
            ("detail", .string(attempt.detail)),
        ])
    }

    indirect enum Value {
        case string(String), number(Int), bool(Bool), null
        case array([Value])
        case object([(String, Value)])

        func write(to output: inout String, indent: Int) {
            let inner = String(repeating: "  ", count: indent + 1)
            let closing = String(repeating: "  ", count: indent)
            switch self {
            case .string(let text): Self.writeString(text, to: &output)
            case .number(let number): output += String(number)
            case .bool(let flag): output += flag ? "true" : "false"
            case .null: output += "null"
            case .array(let items):
                guard !items.isEmpty else { return output += "[]" }
                output += "[\n"
                for (index, item) in items.enumerated() {
                    output += inner
                    item.write(to: &output, indent: indent + 1)
                    output += index == items.count - 1 ? "\n" : ",\n"
                }
                output += closing + "]"
            case .object(let members):
                guard !members.isEmpty else { return output += "{}" }
                output += "{\n"
                for (index, (key, value)) in members.enumerated() {
                    output += inner
                    Self.writeString(key, to: &output)
                    output += ": "
                    value.write(to: &output, indent: indent + 1)
                    output += index == members.count - 1 ? "\n" : ",\n"
                }
                output += closing + "}"
            }
        }

        static func writeString(_ text: String, to output: inout String) {
            output += "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                case _ where scalar.value < 0x20:
                    output += String(format: "\\u%04x", scalar.value)
                default: output.unicodeScalars.append(scalar)
                }
            }
            output += "\""
        }
    }
}

/// The state joined with the configuration, in display order; shared by the status renderers.
struct StatusReportView {
    struct Account {
        var name: String
        var accountID: String
        /// `nil` when there is no configuration to say.
        var enabled: Bool?
        var state: AccountState?
        /// `nil` when there is no configuration to say.
        var config: AccountConfig?

        /// Which interval it is polled at (docs/MONITORING.md); `nil` for a disabled account.
        var pace: PollPace? { enabled == false ? nil : PollPace.of(state) }

        /// The interval of its pace in seconds; `nil` without a configuration or for a disabled account.
        var interval: TimeInterval? {
            guard let config, let pace else { return nil }
            return pace.interval(for: config)
        }
    }

    struct Webhook {
        var name: String
        var config: WebhookConfig?
        var delivery: WebhookDeliveryState?
        var queued: Int
    }

    var accounts: [Account]
    var webhooks: [Webhook]

    init(state: StateDocument, configuration: Configuration?) {
        var queued: [String: Int] = [:]
        for entry in state.outbox { queued[entry.webhook, default: 0] += 1 }
        if let configuration {
            accounts = configuration.accounts.map { account in
                Account(
                    name: account.name, accountID: account.accountID, enabled: account.enabled,
                    state: state.accounts[account.accountID], config: account)
            }
            webhooks = configuration.webhooks.map { webhook in
                Webhook(
                    name: webhook.name, config: webhook, delivery: state.webhooks[webhook.name],
                    queued: queued[webhook.name] ?? 0)
            }
        } else {
            accounts = state.accounts.values
                .sorted { ($0.name, $0.accountID) < ($1.name, $1.accountID) }
                .map { Account(name: $0.name, accountID: $0.accountID, enabled: nil, state: $0, config: nil) }
            let names = Set(state.webhooks.keys).union(queued.keys).sorted()
            webhooks = names.map { name in
                Webhook(name: name, config: nil, delivery: state.webhooks[name], queued: queued[name] ?? 0)
            }
        }
    }

    /// Every connector of the listed accounts: by account, then domain (none last), then id.
    var connectors: [(account: Account, connector: ConnectorState)] {
        accounts.flatMap { account in
            (account.state.map { Array($0.connectors.values) } ?? [])
                .sorted { lhs, rhs in
                    switch (lhs.emailDomain, rhs.emailDomain) {
                    case (let l?, let r?) where l != r: return l < r
                    case (nil, _?): return false
                    case (_?, nil): return true
                    default: return lhs.id < rhs.id
                    }
                }
                .map { (account, $0) }
        }
    }
}
