import Foundation
import SSOWatchConfig
import SSOWatchHTTP

/// Sends one message to one webhook: the only place that turns rendered requests into HTTP exchanges and
/// answers into a `DeliveryOutcome`, for the daemon's deliveries and `ssowatch test-notify` alike.
public struct WebhookSender: Sendable {
    /// What one attempt came to.
    public struct Answer: Sendable, Equatable {
        /// What the daemon does next (docs/NOTIFICATIONS.md, "Answers").
        public var outcome: DeliveryOutcome
        /// The HTTP status of the last answer, `nil` when no answer came.
        public var status: Int?
        /// The body of the last answer.
        public var body: [UInt8]
    }

    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    /// A sender over `transport`; `now` dates the messages and reads `Retry-After` dates.
    public init(transport: any HTTPTransport, now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.now = now
    }

    /// The requests that carry `message` to `webhook`, in order (a long message may need several).
    public func render(_ message: OutgoingMessage, for webhook: WebhookConfig) -> [RenderedRequest] {
        Renderers.renderer(for: webhook.type).render(message, context: RenderContext(webhook: webhook, now: now()))
    }

    /// Sends `requests` in order, each with the webhook's `timeout`; the first that does not succeed
    /// decides the outcome and the rest are not sent.
    public func send(_ requests: [RenderedRequest], to webhook: WebhookConfig) async -> Answer {
        var answer = Answer(outcome: .transient(reason: "nothing to send"), status: nil, body: [])
        for request in requests {
            let spec = HTTPRequestSpec(
                method: request.method, url: webhook.url.value,
                headers: request.headers.map { (name: $0.name, value: $0.value) }, body: request.body,
                timeout: webhook.timeout)
            do {
                let response = try await transport.send(spec)
                let outcome = ResponseClassifier.classify(
                    type: webhook.type, status: response.status, headers: response.headers.map { ($0.name, $0.value) },
                    body: response.body, now: now())
                answer = Answer(outcome: outcome, status: response.status, body: response.body)
            } catch {
                answer = Answer(outcome: .transient(reason: error.description), status: nil, body: [])
            }
            guard answer.outcome == .delivered else { return answer }
        }
        return answer
    }
}
