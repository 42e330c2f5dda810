import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 listener for Prometheus: `GET /metrics` answers the text format, `GET /` a pointer
/// to it, other paths 404 and other methods 405. It binds exactly the configured address, on one
/// event-loop thread of its own.
///
/// Not thread-safe: the daemon starts and stops it on its queue. Requests are answered on the
/// listener's thread, by calling `render`.
public final class MetricsServer {
    private enum State {
        case stopped
        case listening(group: MultiThreadedEventLoopGroup, channel: any Channel)
    }

    /// The configured address.
    public let endpoint: MetricsEndpoint
    private let render: @Sendable () -> String
    private var state = State.stopped

    /// Creates a stopped server; `render` produces the body of `/metrics`.
    public init(endpoint: MetricsEndpoint, render: @escaping @Sendable () -> String) {
        self.endpoint = endpoint
        self.render = render
    }

    /// The bound port while listening (the configured one, or the system's pick for port 0), else `nil`.
    public var boundPort: Int? {
        guard case .listening(_, let channel) = state else { return nil }
        return channel.localAddress?.port
    }

    /// Binds the endpoint and starts answering; returns once the socket listens.
    /// - Throws: the bind error (address in use, not an address of this machine, permission denied).
    public func start() throws {
        guard case .stopped = state else { return }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let render = self.render
        do {
            let channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 16)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                    }
                }
                .bind(host: endpoint.bindHost, port: endpoint.port)
                .wait()
            state = .listening(group: group, channel: channel)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Closes the listening socket and every open connection; a no-op when stopped.
    public func stop() {
        guard case .listening(let group, let channel) = state else { return }
        state = .stopped
        try? channel.close().wait()
        // Shutting the group down also closes idle keep-alive connections.
        try? group.syncShutdownGracefully()
    }

    deinit {
        stop()
    }
}

/// Answers one request at a time (the pipelining handler upstream keeps them in order).
private final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> String
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> String) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break  // no endpoint takes a body
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        let body: String
        switch (request.method, path) {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            status = .ok
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            body = render()
        case (.GET, "/"), (.HEAD, "/"):
            status = .ok
            headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
            body =
                "<html><head><title>ssowatch</title></head><body><h1>ssowatch \(SSOWatchVersion.string)</h1>"
                + "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n"
        case (.GET, _), (.HEAD, _):
            status = .notFound
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            body = "not found; the metrics are at /metrics\n"
        default:
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            body = "method not allowed; use GET\n"
        }
        let buffer = context.channel.allocator.buffer(string: body)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        let keepAlive = request.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
            promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
