import Foundation
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel

/// `ssowatch test-notify`: one `test` message to one webhook, sent at once, with the reply.
public enum TestNotification {
    /// What happened.
    public struct Result: Sendable {
        public var delivered: Bool
        /// `ops (slack, hooks.slack.com): delivered, HTTP 200: ok` — host only, never the URL.
        public var line: String
    }

    /// Sends the test message and reports the HTTP status and the service's reply.
    public static func send(to webhook: WebhookConfig, transport: any HTTPTransport, now: Date = Date()) async
        -> Result
    {
        let host = ProcessInfo.processInfo.hostName
        let message = OutgoingMessage.test(
            webhook: webhook.name,
            message:
                "Test notification from ssowatch on \(host): this webhook will receive SSO domain verification alerts.",
            at: now)
        let sender = WebhookSender(transport: transport)
        let answer = await sender.send(sender.render(message, for: webhook), to: webhook)
        let prefix = "\(webhook.name) (\(webhook.type.rawValue), \(webhook.host)): "
        guard answer.outcome == .delivered, let status = answer.status else {
            return Result(delivered: false, line: prefix + "FAILED: \(describe(answer.outcome))")
        }
        let reply = replySnippet(answer.body)
        return Result(delivered: true, line: prefix + "delivered, HTTP \(status)\(reply.isEmpty ? "" : ": \(reply)")")
    }

    private static func describe(_ outcome: DeliveryOutcome) -> String {
        switch outcome {
        case .delivered: "delivered"
        case .retryAfter(let seconds, let reason):
            "\(reason) (rate limited; retry after \(formatSeconds(seconds.rounded(.up))))"
        case .transient(let reason): reason
        case .permanent(let reason): reason
        }
    }

    /// The reply's first line, shortened: enough to see `ok` or the service's error.
    private static func replySnippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.shortened(to: 201)
    }
}
