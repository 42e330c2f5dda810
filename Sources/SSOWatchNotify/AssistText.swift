import Foundation
import SSOWatchModel

/// The wording of `verification_started` (docs/NOTIFICATIONS.md): what ssowatch did about a connector's
/// verification and what Cloudflare answered.
extension ChatText {
    /// The title and summary of a `verification_started` event.
    static func assistWording(_ event: ConnectorEvent, values v: EventValues, at: String) -> ([Span], [Span]) {
        let domain: Span = .strong([.value(v.domain)])
        let account: Span = .strong([.value(v.account)])
        let reason: [Span] = [
            .text(" (its TXT record was on every authoritative nameserver in two checks in a row)")
        ]
        let answer = v.assistOutcome.map { [Span.value($0)] } ?? [.text("no answer")]
        switch event.assist?.outcome {
        case .wouldCall:
            return (
                [.value(v.domain), .text(": would begin verification (dry-run)")],
                [.text("ssowatch would have begun the verification of "), domain, .text(" in account "), account]
                    + reason
                    + [
                        .text(" at \(at), but auto_begin_verification is dry-run: nothing was sent. The connector is "),
                        .strong([.value(v.status)]), .text("."),
                    ]
            )
        case .refused:
            return (
                [.value(v.domain), .text(": Cloudflare refused to begin verification")],
                [.text("ssowatch tried to begin the verification of "), domain, .text(" in account "), account]
                    + reason + [.text(" at \(at); Cloudflare refused the write token: ")] + answer + [.text(".")]
            )
        case .error, nil:
            return (
                [.value(v.domain), .text(": beginning verification failed")],
                [.text("ssowatch tried to begin the verification of "), domain, .text(" in account "), account]
                    + reason + [.text(" at \(at); the call failed: ")] + answer + [.text(".")]
            )
        case .called:
            return (
                [.value(v.domain), .text(": verification started by ssowatch")],
                [.text("ssowatch began the verification of "), domain, .text(" in account "), account] + reason
                    + [.text(" at \(at). Cloudflare answered: ")] + answer + [.text(".")]
            )
        }
    }

    /// What to do after a `verification_started` event, when there is something to do.
    static func assistAction(_ event: ConnectorEvent, begin: Span) -> [Span]? {
        switch event.assist?.outcome {
        case .called:
            return [.text("Cloudflare now looks for the record; a verified or failed message follows.")]
        case .wouldCall:
            return [
                .strong([.text("Next:")]), .text(" run "), begin,
                .text(", or set auto_begin_verification = on with a write token so that ssowatch does it."),
            ]
        case .refused:
            return [
                .strong([.text("What to do:")]),
                .text(" give the write token (api_write_token…) the \"SSO Connector Write\" permission on this "),
                .text("account, or run "), begin, .text(" yourself."),
            ]
        case .error, nil:
            return [
                .strong([.text("Next:")]),
                .text(" ssowatch tries again in 6 hours if the record is still there; or run "), begin,
                .text(" yourself."),
            ]
        }
    }
}

extension AutoBeginReport {
    /// `HTTP 200; read back: pending`, `HTTP 403: 10000 Authentication error`, `nothing sent (dry-run)`: what
    /// Cloudflare answered, for messages.
    public var answerDescription: String {
        guard mode == .on else { return "nothing sent (dry-run)" }
        var parts: [String] = []
        var head = httpStatus.map { "HTTP \($0)" } ?? "no HTTP answer"
        if let cloudflareError { head += ": \(cloudflareError)" }
        parts.append(head)
        if let readBackStatus { parts.append("read back: \(readBackStatus)") }
        return parts.joined(separator: "; ")
    }
}
