import Foundation
import SSOWatchConfig
import SSOWatchModel

/// The wording of a batched message (more than three events for one chat webhook in one cycle):
/// a summary line, then one line per connector, most urgent first, ending with "and N more" when the
/// service's limits do not leave room for all of them.
struct BatchText: Sendable {
    var tone: Tone
    var emoji: String
    /// `12 SSO domain changes in account prod`.
    var title: [Span]
    /// `12 SSO domain changes in account prod: 8 verified, 4 failed.`
    var summary: [Span]
    /// One line per connector, in the order shown.
    var lines: [[Span]]
    /// What to do about failed domains, when there are any.
    var action: [Span]?
    var footer: [Span]
    var date: Date

    init(_ events: [ConnectorEvent], caps: ValueCaps = .standard) {
        let shown = BatchText.urgentFirst(events)
        let accounts = BatchText.uniqueAccounts(events).map { Truncation.truncate($0, to: caps.other) }
        let counts = EventKind.allCases.compactMap { kind -> String? in
            let n = events.count(where: { $0.kind == kind })
            return n > 0 ? "\(n) \(kind.rawValue)" : nil
        }
        let noun = events.count == 1 ? "SSO domain change" : "SSO domain changes"
        var title: [Span] = [.text("\(events.count) \(noun) in ")]
        if accounts.count == 1 {
            title += [.text("account "), .value(accounts[0])]
        } else {
            title.append(.text("\(accounts.count) accounts"))
        }
        let kinds = Set(events.map(\.kind))
        tone =
            kinds.contains(.failed)
            ? .danger
            : kinds.contains(.stuck) ? .warning : kinds == [.verified] ? .good : .neutral
        emoji =
            kinds.contains(.failed)
            ? ChatText.emoji(for: .failed)
            : kinds.contains(.stuck) ? ChatText.emoji(for: .stuck) : kinds == [.verified] ? "✅" : "🔔"
        self.title = title
        summary = title + [.text(": \(counts.joined(separator: ", ")).")]
        lines = shown.map { BatchText.line($0, caps: caps, showAccount: accounts.count > 1) }
        if kinds.contains(.failed) {
            let account = accounts.count == 1 ? accounts[0] : "NAME"
            action = [
                .strong([.text("What to do:")]),
                .text(
                    " for each failed domain, publish a DNS TXT record on the domain whose value is the "
                        + "whole code shown, then run "),
                .code("ssowatch connectors begin-verification ID --account \(account)"),
                .text("."),
            ]
        }
        let first = events.map(\.detectedAt).min() ?? Date(timeIntervalSince1970: 0)
        date = events.map(\.detectedAt).max() ?? first
        let when =
            NotifyTime.human(first) == NotifyTime.human(date)
            ? "Detected at \(NotifyTime.human(date))"
            : "Detected between \(NotifyTime.human(first)) and \(NotifyTime.human(date))"
        footer = [.text("\(when) · ssowatch \(SSOWatchVersion.string)")]
    }

    /// `…and 488 more.` for the connectors that did not fit.
    static func more(_ count: Int) -> [Span] {
        [.text("…and \(count) more \(count == 1 ? "change" : "changes").")]
    }

    /// `🚨 *example.com* failed (was pending, after 2d) · connector `id` · TXT `code``
    static func line(_ event: ConnectorEvent, caps: ValueCaps, showAccount: Bool) -> [Span] {
        let v = EventValues(event, caps: caps)
        var line: [Span] = [.text("\(ChatText.emoji(for: event.kind)) "), .strong([.value(v.domain)]), .text(" ")]
        switch event.kind {
        case .appeared: line += [.text("appeared, "), .value(v.status)]
        case .removed: line += [.text("removed, was "), .value(v.status)]
        case .stuck: line += [.text("still "), .value(v.status)]
        case .dnsMissing:
            line += [
                .text(event.dns?.result == .nearMiss ? "TXT record mistyped, " : "TXT record missing, "),
                .value(v.status),
            ]
        case .dnsFound: line += [.text("TXT record found, "), .value(v.status)]
        case .verificationStarted:
            line += [
                .text(
                    event.assist?.outcome == .wouldCall
                        ? "would begin verification (dry-run), " : "begin verification: "),
                .value(v.assistOutcome ?? v.status),
            ]
        default: line.append(.value(v.status))
        }
        if let previous = v.previous {
            line += [.text(" (was "), .value(previous)]
            if let held = v.heldFor { line.append(.text(", after \(held)")) }
            line.append(.text(")"))
        } else if event.kind == .stuck, let since = v.since {
            line.append(.text(" for \(NotifyTime.duration(event.detectedAt.timeIntervalSince(since)))"))
        }
        if showAccount { line += [.text(" · account "), .value(v.account)] }
        line += [.text(" · connector "), .code(v.connector)]
        if [.failed, .awaiting, .stuck, .dnsMissing].contains(event.kind) {
            line += [.text(" · TXT value "), v.code.map { .code($0) } ?? .text("unknown")]
        }
        if let dns = v.dns, ["awaiting", "pending", "failed"].contains(event.status) {
            line += [.text(" · DNS: "), .value(dns)]
        }
        return line
    }

    /// Failed first, then stuck, verified and the rest, each group in detection order.
    static func urgentFirst(_ events: [ConnectorEvent]) -> [ConnectorEvent] {
        func rank(_ kind: EventKind) -> Int {
            switch kind {
            case .failed: 0
            case .stuck, .dnsMissing: 1
            case .verified: 2
            default: 3
            }
        }
        return events.enumerated().sorted { a, b in
            (rank(a.element.kind), a.offset) < (rank(b.element.kind), b.offset)
        }.map(\.element)
    }

    private static func uniqueAccounts(_ events: [ConnectorEvent]) -> [String] {
        var seen = Set<String>()
        return events.map(\.accountName).filter { seen.insert($0).inserted }
    }
}
