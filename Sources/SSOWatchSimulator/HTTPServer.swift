import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
import Synchronization

/// A complete response to write: status, headers and body. `Content-Length` is added when written.
struct ServerResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: String

    init(status: Int, headers: [(String, String)] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What the server does with one request.
enum ServerAction: Sendable {
    /// Answer, optionally after a delay (the connection stays busy meanwhile).
    case respond(ServerResponse, delay: Duration?)
    /// Close the connection without answering.
    case drop
    /// Send the response head (with the body's `Content-Length`), then nothing, and keep the connection
    /// open: what a stuck proxy, a load balancer or a lost NAT mapping looks like to a client.
    case headThenSilence(ServerResponse)

    /// The status that will be sent, or `nil` for a dropped connection.
    var status: Int? {
        switch self {
        case .respond(let response, _), .headThenSilence(let response): response.status
        case .drop: nil
        }
    }
}

/// An HTTP/1.1 server on 127.0.0.1 that hands every complete request to a synchronous handler, which
/// runs on an event-loop thread and must therefore not block.
final class LoopbackHTTPServer: Sendable {
    typealias Handler = @Sendable (RecordedRequest) -> ServerAction

    private enum State {
        case idle
        case starting
        case running(group: MultiThreadedEventLoopGroup, channel: any Channel, port: Int)
        case stopping
    }

    private let state = Mutex(State.idle)
    private let name: String
    private let threads: Int
    private let handler: Handler

    init(name: String, threads: Int, handler: @escaping Handler) {
        self.name = name
        self.threads = max(1, threads)
        self.handler = handler
    }

    /// The bound port, or 0 when not running.
    var port: Int {
        state.withLock { state in
            if case .running(_, _, let port) = state { return port }
            return 0
        }
    }

    /// Binds 127.0.0.1:`port` (0 picks a free port) and starts serving.
    func start(port: Int) async throws {
        try state.withLock { state in
            guard case .idle = state else { throw SimulatorError.alreadyRunning(server: name) }
            state = .starting
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let handler = self.handler
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 512)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.configureHTTPServerPipeline(withErrorHandling: true)
                        try sync.addHandler(HTTPRequestHandler(handler: handler))
                    }
                }
                .bind(host: "127.0.0.1", port: port)
                .get()
            let boundPort = channel.localAddress?.port ?? port
            state.withLock { $0 = .running(group: group, channel: channel, port: boundPort) }
        } catch {
            state.withLock { $0 = .idle }
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Closes the listening socket and every open connection; a no-op when not running.
    func stop() async throws {
        let running: (MultiThreadedEventLoopGroup, any Channel)? = state.withLock { state in
            guard case .running(let group, let channel, _) = state else { return nil }
            state = .stopping
            return (group, channel)
        }
        guard let (group, channel) = running else { return }
        defer { state.withLock { $0 = .idle } }
        try? await channel.close()
        // Shutting the group down also closes idle keep-alive connections.
        try await group.shutdownGracefully()
    }
}

/// Collects one request at a time (the pipelining handler upstream keeps them in order) and writes the
/// handler's answer with `Content-Length` and keep-alive.
private final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private static let maxBodyBytes = 8 << 20

    private let handler: LoopbackHTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var pendingResponse: Scheduled<Void>?

    init(handler: @escaping LoopbackHTTPServer.Handler) {
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            tooLarge = (body?.readableBytes ?? 0) > Self.maxBodyBytes
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                write(ServerResponse(status: 413, body: "request body too large"), for: head, context: context)
                return
            }
            handle(head, body: body.map { Array($0.readableBytesView) } ?? [], context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pendingResponse?.cancel()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func handle(_ head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        let uri = head.uri
        let path: String
        let query: String?
        if let mark = uri.firstIndex(of: "?") {
            path = String(uri[..<mark])
            query = String(uri[uri.index(after: mark)...])
        } else {
            path = uri
            query = nil
        }
        let request = RecordedRequest(
            sequence: 0, method: head.method.rawValue, path: path, query: query,
            headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body, receivedAt: Date(),
            responseStatus: nil)
        switch handler(request) {
        case .drop:
            context.close(promise: nil)
        case .respond(let response, nil):
            write(response, for: head, context: context)
        case .respond(let response, let delay?):
            pendingResponse = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                self.pendingResponse = nil
                self.write(response, for: head, context: context)
            }
        case .headThenSilence(let response):
            write(response, for: head, context: context, headOnly: true)
        }
    }

    private func write(
        _ response: ServerResponse, for request: HTTPRequestHead, context: ChannelHandlerContext,
        headOnly: Bool = false
    ) {
        var headers = HTTPHeaders(response.headers)
        let bodyBuffer = context.channel.allocator.buffer(string: response.body)
        headers.replaceOrAdd(name: "Content-Length", value: String(bodyBuffer.readableBytes))
        let keepAlive = request.isKeepAlive && !headers[canonicalForm: "connection"].contains("close")
        if keepAlive {
            if request.version.minor == 0 { headers.replaceOrAdd(name: "Connection", value: "keep-alive") }
        } else {
            headers.replaceOrAdd(name: "Connection", value: "close")
        }
        let head = HTTPResponseHead(
            version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        guard !headOnly else {
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if bodyBuffer.readableBytes > 0 && request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(bodyBuffer))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
