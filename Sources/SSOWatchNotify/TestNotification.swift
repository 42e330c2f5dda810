import Foundation
import SSOWatchConfig
import SSOWatchHTTP

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
        let requests = Renderers.renderer(for: webhook.type).render(
            message, context: RenderContext(webhook: webhook, now: now))
        let prefix = "\(webhook.name) (\(webhook.type.rawValue), \(webhook.host)): "
        for request in requests {
            let spec = HTTPRequestSpec(
                method: request.method, url: webhook.url.value,
                headers: request.headers.map { (name: $0.name, value: $0.value) }, body: request.body,
                timeout: webhook.timeout)
            do {
                let response = try await transport.send(spec)
                let outcome = ResponseClassifier.classify(
                    type: webhook.type, status: response.status, headers: response.headers.map { ($0.name, $0.value) },
                    body: response.body, now: Date())
                let reply = replySnippet(response.body)
                guard outcome == .delivered else {
                    return Result(
                        delivered: false, line: prefix + "FAILED: \(describe(outcome))")
                }
                return Result(
                    delivered: true,
                    line: prefix + "delivered, HTTP \(response.status)\(reply.isEmpty ? "" : ": \(reply)")")
            } catch {
                return Result(delivered: false, line: prefix + "FAILED: \(error.description)")
            }
        }
        return Result(delivered: false, line: prefix + "FAILED: nothing to send")
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
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}
