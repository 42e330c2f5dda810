import Foundation
import SSOWatchConfig
import SSOWatchModel

/// What a webhook is asked to announce.
public enum OutgoingMessage: Sendable, Equatable {
    /// Events from one poll cycle for one webhook, in the order they were detected.
    case events([ConnectorEvent])
    /// A `test-notify` message.
    case test(webhook: String, message: String, at: Date)
}

/// One HTTP request, ready to send to the webhook's URL (which the renderer never sees).
public struct RenderedRequest: Sendable, Equatable {
    /// One header field. Values never contain CR or LF.
    public struct Header: Sendable, Equatable {
        /// The field name, e.g. `Content-Type` or `webhook-id`.
        public var name: String
        /// The field value, one line.
        public var value: String

        /// Creates a header field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Always `POST`.
    public var method: String
    /// Header fields in a fixed order, including `Content-Type` and `User-Agent`.
    public var headers: [Header]
    /// The exact bytes to send (and, for `generic`, the bytes that were signed).
    public var body: [UInt8]
    /// The ids of the events this request announces (empty for a test message).
    public var eventIDs: [String]

    /// Creates a request.
    public init(method: String = "POST", headers: [Header], body: [UInt8], eventIDs: [String]) {
        self.method = method
        self.headers = headers
        self.body = body
        self.eventIDs = eventIDs
    }

    /// The value of the first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What a renderer may use besides the message: nothing here is ever written into a chat message
/// except the webhook name of a test message.
public struct RenderContext: Sendable {
    /// The `[webhook "NAME"]` the message goes to.
    public var webhookName: String
    /// The time of this delivery attempt (`webhook-timestamp`); event times come from the events.
    public var now: Date
    /// The Standard Webhooks signing secret (`whsec_…`), `generic` only.
    public var secret: Secret?

    /// Creates a context.
    public init(webhookName: String, now: Date, secret: Secret? = nil) {
        self.webhookName = webhookName
        self.now = now
        self.secret = secret
    }

    /// The context for one attempt to deliver to a configured webhook.
    public init(webhook: WebhookConfig, now: Date) {
        self.init(webhookName: webhook.name, now: now, secret: webhook.secret)
    }
}

/// Turns a message into the HTTP requests one webhook type expects. Pure: no I/O, no clock, no
/// randomness, so the same message and context always give the same bytes.
public protocol MessageRenderer: Sendable {
    /// The requests to send, in order. A chat type gives one request per event for up to three
    /// events and one batched request for more; `generic` always gives one request per event.
    /// An empty `.events` list gives no request.
    func render(_ message: OutgoingMessage, context: RenderContext) -> [RenderedRequest]
}

/// The renderer of each webhook type.
public enum Renderers {
    /// More events than this in one cycle are sent to a chat webhook as one batched message.
    public static let batchThreshold = 3

    /// The renderer for a webhook type.
    public static func renderer(for type: WebhookType) -> any MessageRenderer {
        switch type {
        case .slack: SlackRenderer()
        case .discord: DiscordRenderer()
        case .teams: TeamsRenderer()
        case .googleChat: GoogleChatRenderer()
        case .mattermost: MattermostRenderer()
        case .rocketchat: RocketChatRenderer()
        case .ntfy: NtfyRenderer()
        case .generic: GenericRenderer()
        }
    }
}

/// The shape shared by the chat renderers: one payload per event or test, one for a batch.
protocol ChatRenderer: MessageRenderer {
    /// Headers besides `User-Agent`, e.g. `Content-Type`.
    func headers(for content: ChatContent) -> [RenderedRequest.Header]
    /// The body for one event, a test message or a batch; must stay within the service's limits.
    func body(for content: ChatContent) -> [UInt8]
}

/// What one chat message announces.
enum ChatContent: Sendable {
    case event(ConnectorEvent)
    case test(webhook: String, message: String, at: Date)
    case batch([ConnectorEvent])
}

extension ChatRenderer {
    func render(_ message: OutgoingMessage, context: RenderContext) -> [RenderedRequest] {
        let contents: [(ChatContent, [String])]
        switch message {
        case .test(let webhook, let text, let at):
            contents = [(.test(webhook: webhook, message: text, at: at), [])]
        case .events(let events) where events.count > Renderers.batchThreshold:
            contents = [(.batch(events), events.map(\.id))]
        case .events(let events):
            contents = events.map { (.event($0), [$0.id]) }
        }
        return contents.map { content, ids in
            let headers = self.headers(for: content) + [.init(name: "User-Agent", value: SSOWatchVersion.userAgent)]
            return RenderedRequest(headers: headers, body: body(for: content), eventIDs: ids)
        }
    }

    /// `Content-Type: application/json`, what every JSON chat service takes.
    static var jsonHeaders: [RenderedRequest.Header] {
        [.init(name: "Content-Type", value: "application/json")]
    }
}
