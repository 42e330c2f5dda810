import Foundation
import SSOWatchConfig
import SSOWatchModel

/// The colour of a message: verified green, failed red, stuck amber, everything else neutral.
enum Tone: Sendable, Equatable {
    case good, danger, warning, neutral

    /// `#RRGGBB`, for Slack-style attachments.
    var hex: String {
        switch self {
        case .good: "#2EB67D"
        case .danger: "#E01E5A"
        case .warning: "#ECB22E"
        case .neutral: "#868E96"
        }
    }

    /// The same colour as an integer, for Discord.
    var rgb: Int { Int(hex.dropFirst(), radix: 16) ?? 0 }

    /// The Adaptive Card `TextBlock` colour.
    var cardColor: String {
        switch self {
        case .good: "Good"
        case .danger: "Attention"
        case .warning: "Warning"
        case .neutral: "Default"
        }
    }
}

/// One labelled value of a message (`Domain: example.com`).
struct Fact: Sendable, Equatable {
    var label: String
    var value: [Span]
}

/// How long user-controlled values may be before they are shortened. Renderers try the standard
/// caps first and the tighter ones only if a message would not fit the service's limits.
struct ValueCaps: Sendable {
    var domain: Int
    var code: Int
    var other: Int

    static let standard = ValueCaps(domain: 256, code: 1024, other: 128)
    static let tight = ValueCaps(domain: 96, code: 256, other: 64)
    static let minimal = ValueCaps(domain: 40, code: 80, other: 32)
    /// Tried in this order.
    static let all: [ValueCaps] = [.standard, .tight, .minimal]
}

/// The wording of one message, independent of any markup. docs/NOTIFICATIONS.md: every message says the domain,
/// the account, the new and previous status, when it changed (UTC) and after how long, and the
/// connector id; `failed` also says what to do.
struct ChatText: Sendable {
    /// The event id, or `test`.
    var id: String
    var tone: Tone
    var emoji: String
    /// The headline without the emoji.
    var title: [Span]
    /// One sentence with everything that happened.
    var summary: [Span]
    var facts: [Fact]
    /// What to do, or what it means, when there is something to say.
    var action: [Span]?
    var footer: [Span]
    /// One line for notification previews: emoji, headline and account.
    var fallback: [Span]
    /// When it happened, for services with a timestamp field.
    var date: Date

    /// The emoji of each event kind.
    static func emoji(for kind: EventKind) -> String {
        switch kind {
        case .verified: "✅"
        case .failed: "🚨"
        case .stuck: "⚠️"
        case .pending: "⏳"
        case .awaiting: "⏸️"
        case .appeared: "🆕"
        case .removed: "🗑️"
        case .dnsMissing: "🔍"
        case .dnsFound: "📬"
        case .verificationStarted: "🚀"
        }
    }

    /// The tone of each event kind.
    static func tone(for kind: EventKind) -> Tone {
        switch kind {
        case .verified: .good
        case .failed: .danger
        case .stuck, .dnsMissing: .warning
        case .dnsFound, .verificationStarted: .good
        default: .neutral
        }
    }

    /// The tone of one event: a kind's, except that an attempt to begin verification that failed is a warning.
    static func tone(for event: ConnectorEvent) -> Tone {
        switch event.assist?.outcome {
        case .refused, .error: .warning
        case .wouldCall: .neutral
        default: tone(for: event.kind)
        }
    }

    /// The wording of a test message.
    static func test(webhook: String, message: String, at date: Date, caps: ValueCaps = .standard) -> ChatText {
        let webhook = Truncation.truncate(webhook, to: caps.other)
        let message = Truncation.truncate(message, to: caps.code)
        let title: [Span] = [.text("Test message from ssowatch")]
        return ChatText(
            id: "test", tone: .neutral, emoji: "🔔", title: title,
            summary: [
                .text("This is a test notification for webhook "), .strong([.value(webhook)]),
                .text(", sent at \(NotifyTime.human(date)). "), .value(message),
            ],
            facts: [Fact(label: "Webhook", value: [.value(webhook)])], action: nil,
            footer: [.text("ssowatch \(SSOWatchVersion.string)")],
            fallback: [.text("🔔 ")] + title + [.text(" (webhook "), .value(webhook), .text(")")], date: date)
    }
}

extension ChatText {
    /// The wording of one event, with user-controlled values shortened to `caps`.
    init(_ event: ConnectorEvent, caps: ValueCaps = .standard) {
        let v = EventValues(event, caps: caps)
        let domain: Span = .strong([.value(v.domain)])
        let account: Span = .strong([.value(v.account)])
        let status: Span = .strong([.value(v.status)])
        let at = NotifyTime.human(event.detectedAt)

        var title: [Span]
        var summary: [Span]
        switch event.kind {
        case .verified, .failed, .pending, .awaiting:
            let wording = [
                "verified": " is verified", "failed": " failed verification",
                "pending": " is pending verification", "awaiting": " is awaiting verification",
            ]
            title = [.value(v.domain), .text(wording[event.kind.rawValue] ?? "")]
            if let previous = v.previous {
                summary = [
                    domain, .text(" in account "), account, .text(" changed from "),
                    .strong([.value(previous)]), .text(" to "), status, .text(" at \(at)"),
                ]
                if let held = v.heldFor { summary += [.text(", after \(held) in "), .value(previous)] }
                summary.append(.text("."))
            } else {
                summary = [
                    domain, .text(" in account "), account, .text(" is "), status,
                    .text(" (first seen at \(at))."),
                ]
            }
        case .appeared:
            title = [.text("New SSO connector: "), .value(v.domain)]
            summary = [
                .text("A new SSO connector for "), domain, .text(" appeared in account "), account,
                .text(" at \(at); its status is "), status, .text("."),
            ]
        case .removed:
            title = [.text("SSO connector removed: "), .value(v.domain)]
            summary = [
                .text("The SSO connector for "), domain, .text(" was removed from account "), account,
                .text(" (noticed at \(at)); its last known status was "), status, .text("."),
            ]
        case .stuck:
            title = [.value(v.domain), .text(" is still "), .value(v.status)]
            summary = [domain, .text(" in account "), account, .text(" has been "), status]
            if let since = v.since {
                summary.append(.text(" for \(NotifyTime.duration(event.detectedAt.timeIntervalSince(since)))"))
            }
            summary.append(.text(" (noticed at \(at))."))
        case .dnsMissing:
            let mistyped = event.dns?.result == .nearMiss
            title = [.value(v.domain), .text(mistyped ? ": TXT record mistyped" : ": TXT record missing")]
            summary = [
                .text("The TXT record that verifies "), domain, .text(" in account "), account,
                .text(mistyped ? " is mistyped" : " is missing"),
                .text(" on the domain's nameservers in two checks in a row (noticed at \(at)); the connector is "),
                status, .text("."),
            ]
        case .dnsFound:
            title = [.value(v.domain), .text(": TXT record found")]
            summary = [
                .text("The TXT record that verifies "), domain, .text(" in account "), account,
                .text(" is now on every nameserver of the domain (noticed at \(at)); the connector is "), status,
                .text("."),
            ]
        case .verificationStarted:
            (title, summary) = ChatText.assistWording(event, values: v, at: at)
        }

        var facts = [
            Fact(label: "Domain", value: [.value(v.domain)]),
            Fact(label: "Account", value: [.value(v.account)]),
            Fact(label: "Status", value: [.value(v.status)]),
        ]
        if let previous = v.previous {
            var value: [Span] = [.value(previous)]
            if let held = v.heldFor, let since = v.since {
                value.append(.text(" for \(held) (since \(NotifyTime.human(since)))"))
            }
            facts.append(Fact(label: "Previous status", value: value))
        } else if event.kind == .stuck, let since = v.since {
            facts.append(Fact(label: "Since", value: [.text(NotifyTime.human(since))]))
        }
        let changed =
            [.appeared, .removed, .stuck, .dnsMissing, .dnsFound, .verificationStarted].contains(event.kind)
            ? "Noticed" : "Changed"
        facts.append(Fact(label: changed, value: [.text(at)]))
        if let outcome = v.assistOutcome { facts.append(Fact(label: "Cloudflare answered", value: [.value(outcome)])) }
        facts.append(Fact(label: "Connector", value: [.code(v.connector)]))
        if [.failed, .awaiting, .stuck, .dnsMissing].contains(event.kind) {
            facts.append(Fact(label: "TXT record name", value: [.code(v.domain)]))
            facts.append(Fact(label: "TXT record value", value: v.code.map { [.code($0)] } ?? [.text("unknown")]))
        }
        if let dns = v.dns, ["awaiting", "pending", "failed"].contains(event.status) {
            facts.append(Fact(label: "DNS", value: [.value(dns)]))
        }

        let emoji = ChatText.emoji(for: event.kind)
        self.init(
            id: event.id, tone: ChatText.tone(for: event), emoji: emoji, title: title, summary: summary,
            facts: facts,
            action: ChatText.action(for: event, values: v),
            footer: [.text("ssowatch · event "), .value(v.eventID)],
            fallback: [.text("\(emoji) ")] + title + [.text(" (account "), .value(v.account), .text(")")],
            date: event.detectedAt)
    }

    /// What to do next, for the kinds where there is something to do.
    private static func action(for event: ConnectorEvent, values v: EventValues) -> [Span]? {
        let begin: Span = .code("ssowatch connectors begin-verification \(v.connector) --account \(v.account)")
        let record: [Span] =
            if let code = v.code {
                [
                    .text("a DNS TXT record named "), .code(v.domain),
                    .text(" (the email domain itself) whose value is the whole code "), .code(code),
                ]
            } else {
                [
                    .text("a DNS TXT record named "), .code(v.domain),
                    .text(" (the email domain itself) whose value is the connector's whole verification code "),
                    .text("(Cloudflare sent none; "),
                    .code("ssowatch connectors get \(v.connector) --account \(v.account)"), .text(" shows it)"),
                ]
            }
        switch event.kind {
        case .failed:
            return [.strong([.text("What to do:")]), .text(" publish ")] + record
                + [.text(", then run "), begin, .text(" to begin verification again.")]
        case .awaiting:
            return [.strong([.text("Verification has not started:")]), .text(" publish ")] + record
                + [.text(", then run "), begin, .text(".")]
        case .stuck:
            return [
                .strong([.text("Check the DNS record:")]),
                .text(" Cloudflare stops checking after about two days. Make sure there is "),
            ] + record
                + [.text("; if verification fails, run "), begin, .text(" once the record is published.")]
        case .dnsMissing:
            var action: [Span] = [.strong([.text("What to do:")]), .text(" publish ")] + record + [.text(".")]
            if let detail = v.dnsDetail {
                action += [.text(" Last check: "), .value(detail), .text(detail.hasSuffix(".") ? "" : ".")]
            }
            if event.status == "pending" {
                action.append(
                    .text(" Cloudflare fails the verification if it does not find the record within about two days."))
            }
            return action
        case .verificationStarted:
            return assistAction(event, begin: begin)
        case .dnsFound where (event.status == "awaiting" || event.status == "failed") && event.autoBegin == .on:
            return [
                .strong([.text("Next:")]),
                .text(" ssowatch begins verification itself if the record is still on every nameserver at a check "),
                .text("one dns_check_interval from now (auto_begin_verification = on)."),
            ]
        case .dnsFound where event.status == "awaiting" || event.status == "failed":
            var action: [Span] = [
                .strong([.text("Next:")]), .text(" run "), begin, .text(" so that Cloudflare checks the record."),
            ]
            if event.autoBegin == .dryRun {
                action.append(.text(" (auto_begin_verification = dry-run: ssowatch only says when it would.)"))
            }
            return action
        case .dnsFound:
            return [.text("Cloudflare should verify the domain at its next check.")]
        case .verified where event.enabled != true:
            return [
                .text("The connector can now be enabled ("),
                .code("ssowatch connectors update \(v.connector) --enabled true --account \(v.account)"),
                .text("), which applies SSO to every user of "), .value(v.domain), .text("."),
            ]
        default:
            return nil
        }
    }
}

/// An event's user-controlled values, shortened to the caps.
struct EventValues: Sendable {
    var domain, account, status, connector, eventID: String
    var previous: String?
    var code: String?
    /// Since when it had been in the previous status (or, for `stuck`, in its current one).
    var since: Date?
    /// How long it had been in the previous status, when both are known.
    var heldFor: String?
    /// The DNS line without its `DNS: ` prefix, when a check ran.
    var dns: String?
    /// What the latest DNS check found, in a sentence.
    var dnsDetail: String?
    /// What Cloudflare answered to `begin_verification`, for `verification_started`.
    var assistOutcome: String?

    init(_ event: ConnectorEvent, caps: ValueCaps) {
        func cap(_ s: String, _ limit: Int) -> String { Truncation.truncate(s, to: limit) }
        domain = cap(event.displayDomain, caps.domain)
        account = cap(event.accountName, caps.other)
        status = cap(event.status, caps.other)
        connector = cap(event.connectorID, caps.other)
        eventID = cap(event.id, caps.other)
        previous = event.previousStatus?.rawValue
        code = event.verificationCode.map { cap($0, caps.code) }
        since = event.previousStatusSince
        heldFor = previous != nil ? since.map { NotifyTime.duration(event.detectedAt.timeIntervalSince($0)) } : nil
        dns = event.dns.map { cap(String($0.summaryLine.dropFirst("DNS: ".count)), caps.code) }
        dnsDetail = event.dns.map { cap($0.detail, caps.code) }
        assistOutcome = event.assist.map { cap($0.answerDescription, caps.code) }
    }
}
