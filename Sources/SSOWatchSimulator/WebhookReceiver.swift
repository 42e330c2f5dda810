import Foundation
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchState
import Synchronization

/// A local webhook receiver: an HTTP/1.1 server on 127.0.0.1 that accepts any method and path, records
/// every request, and answers from a programmable queue, so tests can play Slack (200 `ok`), Discord
/// (204, or 429 with a JSON `retry_after`), Teams (202), an outage (`down()`), and so on. Call `stop()`
/// before dropping a started receiver: its event-loop thread runs until then.
public final class WebhookReceiver: Sendable {
    /// An answer the receiver gives.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// Extra headers (`Content-Length` is added).
        public var headers: [(String, String)]
        /// The body text.
        public var body: String
        /// How the response is sent.
        public var pace: Pace

        /// How a response is sent.
        public enum Pace: Sendable {
            /// At once.
            case immediate
            /// Whole, after a delay (the connection is busy meanwhile).
            case after(Duration)
            /// The head, then nothing, with the connection left open.
            case headThenSilence
        }

        /// Creates a response.
        public init(status: Int, headers: [(String, String)] = [], body: String = "", pace: Pace = .immediate) {
            self.status = status
            self.headers = headers
            self.body = body
            self.pace = pace
        }

        /// Slack's answer: 200 `ok`.
        public static let ok = Response(status: 200, headers: [("Content-Type", "text/plain")], body: "ok")
        /// Discord's answer without `?wait=true`: 204, no body.
        public static let noContent = Response(status: 204)
        /// Teams Workflows' answer: 202, no body.
        public static let accepted = Response(status: 202)

        /// 429 with `Retry-After` (seconds) when given, and Discord's JSON body when `discordRetryAfter` is.
        public static func tooManyRequests(retryAfter: Int? = nil, discordRetryAfter: Double? = nil) -> Response {
            var headers: [(String, String)] = []
            if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
            guard let discordRetryAfter else { return Response(status: 429, headers: headers, body: "rate limited") }
            headers.append(("Content-Type", "application/json"))
            let body =
                "{\"message\": \"You are being rate limited.\", \"retry_after\": \(discordRetryAfter), "
                + "\"global\": false}"
            return Response(status: 429, headers: headers, body: body)
        }
    }

    private struct State {
        var queue: [(response: Response, remaining: Int)] = []
        var defaultResponse = Response.ok
        var isDown = false
        var dropsWhenDown = false
        var log = RequestLog()
        var onRequest: (@Sendable (RecordedRequest) -> Void)?
    }

    private let store: Store
    private let server: LoopbackHTTPServer

    /// Creates a stopped receiver that answers 200 `ok` to everything.
    public init(threads: Int = 1) {
        let store = Store()
        self.store = store
        server = LoopbackHTTPServer(name: "webhook receiver", threads: threads) { store.handle($0) }
    }

    /// Starts serving on 127.0.0.1:`port`; 0 picks a free port.
    public func start(port: Int = 0) async throws {
        try await server.start(port: port)
    }

    /// Closes the listener and every connection.
    public func stop() async throws {
        try await server.stop()
    }

    /// The bound port, or 0 when not running.
    public var port: Int { server.port }

    /// The URL of `path` on this receiver, e.g. `url(path: "/slack/T000/B000/token")`.
    public func url(path: String) -> String {
        "http://127.0.0.1:\(port)" + (path.hasPrefix("/") ? path : "/" + path)
    }

    /// Queues `response` for the next `times` requests, after those already queued.
    public func enqueue(_ response: Response, times: Int = 1) {
        guard times > 0 else { return }
        store.state.withLock { $0.queue.append((response, times)) }
    }

    /// Queues a response built from its parts for the next `times` requests.
    public func enqueue(status: Int, headers: [(String, String)] = [], body: String = "", times: Int = 1) {
        enqueue(Response(status: status, headers: headers, body: body), times: times)
    }

    /// The answer once the queue is empty (initially 200 `ok`).
    public func setDefaultResponse(_ response: Response) {
        store.state.withLock { $0.defaultResponse = response }
    }

    /// Empties the response queue.
    public func clearQueuedResponses() {
        store.state.withLock { $0.queue.removeAll() }
    }

    /// Emulates an outage: every request gets 503, or its connection is closed unanswered when
    /// `dropConnections`. Requests are still recorded; the queue is left untouched.
    public func down(dropConnections: Bool = false) {
        store.state.withLock { state in
            state.isDown = true
            state.dropsWhenDown = dropConnections
        }
    }

    /// Ends an outage started by `down`.
    public func up() {
        store.state.withLock { $0.isDown = false }
    }

    /// Called (on a server thread, must not block) with every request as it is answered; the demo prints
    /// them.
    public var onRequest: (@Sendable (RecordedRequest) -> Void)? {
        get { store.state.withLock { $0.onRequest } }
        set { store.state.withLock { $0.onRequest = newValue } }
    }

    /// The most recent requests (up to 10,000), oldest first, including those answered with errors.
    public var received: [RecordedRequest] { store.state.withLock { Array($0.log.recent) } }

    /// How many requests arrived since the receiver was created.
    public var receivedCount: Int { store.counter.count }

    /// Forgets the recorded requests (the count keeps going).
    public func clearReceived() {
        store.state.withLock { $0.log.removeAll() }
    }

    /// Returns once `count` requests in total arrived since creation.
    ///
    /// - Throws: `SimulatorError.timedOut` at the deadline.
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws {
        try await store.counter.wait(for: count, timeout: timeout)
    }

    private final class Store: Sendable {
        let state = Mutex(State())
        let counter = RequestCounter(serverName: "webhook receiver")

        func handle(_ request: RecordedRequest) -> ServerAction {
            let (action, recorded, callback) = state.withLock { state in
                let action: ServerAction
                if state.isDown {
                    action =
                        state.dropsWhenDown
                        ? .drop
                        : .respond(ServerResponse(status: 503, body: "service unavailable"), delay: nil)
                } else if !state.queue.isEmpty {
                    let response = state.queue[0].response
                    state.queue[0].remaining -= 1
                    if state.queue[0].remaining == 0 { state.queue.removeFirst() }
                    action = Self.action(response)
                } else {
                    action = Self.action(state.defaultResponse)
                }
                var recorded = request
                recorded.responseStatus = action.status
                recorded = state.log.append(recorded)
                return (action, recorded, state.onRequest)
            }
            callback?(recorded)
            counter.increment()
            return action
        }

        private static func action(_ response: Response) -> ServerAction {
            switch response.pace {
            case .immediate: .respond(ServerResponse(response), delay: nil)
            case .after(let delay): .respond(ServerResponse(response), delay: delay)
            case .headThenSilence: .headThenSilence(ServerResponse(response))
            }
        }
    }
}

extension ServerResponse {
    init(_ response: WebhookReceiver.Response) {
        self.init(status: response.status, headers: response.headers, body: response.body)
    }
}
