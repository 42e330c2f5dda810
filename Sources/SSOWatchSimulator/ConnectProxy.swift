import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// An HTTP proxy on 127.0.0.1 that tunnels `CONNECT` requests and records each one, for the tests of
/// docs/CONFIGURATION.md, "Proxies and private CAs". async-http-client, ssowatch's HTTP library, reaches
/// `http://` and `https://` servers alike through `CONNECT`; other methods get `405`.
public final class ConnectProxy: Sendable {
    /// One `CONNECT` request as received.
    public struct Request: Sendable, Hashable {
        /// `HOST:PORT`, as in the request line.
        public var target: String
        /// The `Proxy-Authorization` header, if any.
        public var authorization: String?
    }

    private enum State {
        case idle
        case running(group: MultiThreadedEventLoopGroup, channel: any Channel, port: Int)
    }

    private let state = Mutex(State.idle)
    private let recorded = Mutex<[Request]>([])
    /// When set, requests without exactly this `Proxy-Authorization` get `407`.
    private let requiredAuthorization: String?

    /// Creates a proxy; `requiredAuthorization` is a whole header value, such as `Basic dXNlcjpwYXNz`.
    public init(requiredAuthorization: String? = nil) {
        self.requiredAuthorization = requiredAuthorization
    }

    /// The requests received so far, in order.
    public var requests: [Request] { recorded.withLock { $0 } }

    /// The bound port, or 0 when not running.
    public var port: Int {
        state.withLock { state in
            if case .running(_, _, let port) = state { return port }
            return 0
        }
    }

    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Binds 127.0.0.1 on a free port and starts serving.
    public func start() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectRequestHandler(proxy: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        state.withLock { $0 = .running(group: group, channel: channel, port: channel.localAddress?.port ?? 0) }
    }

    /// Closes the listener and every tunnel.
    public func stop() async throws {
        let running: (MultiThreadedEventLoopGroup, any Channel)? = state.withLock { state in
            guard case .running(let group, let channel, _) = state else { return nil }
            state = .idle
            return (group, channel)
        }
        guard let (group, channel) = running else { return }
        try? await channel.close()
        try await group.shutdownGracefully()
    }

    /// Records a request; returns whether it may pass.
    fileprivate func admit(_ request: Request) -> Bool {
        recorded.withLock { $0.append(request) }
        return requiredAuthorization == nil || request.authorization == requiredAuthorization
    }
}

/// Reads one request head; for `CONNECT`, connects to the target, answers `200` and forwards bytes both ways.
private final class ConnectRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let proxy: ConnectProxy
    private var buffered = ByteBuffer()
    private var headDone = false

    init(proxy: ConnectProxy) {
        self.proxy = proxy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        buffered.writeBuffer(&chunk)
        guard !headDone else { return }
        let bytes = Array(buffered.readableBytesView)
        guard let end = Self.headEnd(bytes) else {
            if bytes.count > 65_536 { context.close(promise: nil) }
            return
        }
        headDone = true
        buffered.moveReaderIndex(forwardBy: end)
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ").map(String.init)
        guard parts.count == 3, parts[0] == "CONNECT" else {
            return answer("405 Method Not Allowed", context: context)
        }
        let authorization = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces) }
        guard proxy.admit(ConnectProxy.Request(target: parts[1], authorization: authorization)) else {
            return answer(
                "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"", context: context)
        }
        guard let colon = parts[1].lastIndex(of: ":"), let port = Int(parts[1][parts[1].index(after: colon)...]) else {
            return answer("400 Bad Request", context: context)
        }
        let host = String(parts[1][..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop).connect(host: host, port: port).whenComplete { result in
            let (handler, context) = bound.value
            handler.connected(result, context: context)
        }
    }

    private func connected(_ result: Result<any Channel, any Error>, context: ChannelHandlerContext) {
        guard case .success(let upstream) = result else {
            return answer("502 Bad Gateway", context: context)
        }
        do {
            try upstream.pipeline.syncOperations.addHandler(Forwarder(to: context.channel))
            try context.pipeline.syncOperations.addHandler(Forwarder(to: upstream))
        } catch {
            upstream.close(promise: nil)
            return answer("502 Bad Gateway", context: context)
        }
        let established = ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(established), promise: nil)
        if buffered.readableBytes > 0 { upstream.writeAndFlush(buffered, promise: nil) }
        buffered.clear()
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    private func answer(_ status: String, context: ChannelHandlerContext) {
        let response = ByteBuffer(string: "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// The offset just past the blank line that ends the head, if it has arrived.
    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}

/// Writes everything read on one channel to the other; closing either closes both.
private final class Forwarder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let partner: any Channel

    init(to partner: any Channel) {
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
