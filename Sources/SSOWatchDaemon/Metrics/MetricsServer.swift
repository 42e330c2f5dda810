import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SSOWatchConfig
import SSOWatchState

/// A tiny HTTP/1.1 listener for Prometheus: `GET /metrics` answers the text format, `GET /` a pointer
/// to it, other paths 404 and other methods 405. It binds exactly the configured address, on one
/// event-loop thread of its own.
///
/// A scraper needs one connection now and then, so the listener keeps what any peer can cost it small:
/// at most `maxConnections` at once (one more is closed as soon as it is accepted), none idle for
/// longer than `idleTimeout`, and no request read while answers are waiting for the peer to read them.
///
/// Not thread-safe: the daemon starts and stops it on its queue. Requests are answered on the
/// listener's thread, by calling `render`.
public final class MetricsServer {
    private enum State {
        case stopped
        case listening(group: MultiThreadedEventLoopGroup, channel: any Channel)
    }

    /// How many connections are open at most in production.
    public static let defaultMaxConnections = 64
    /// How long a connection may go without reading or writing anything in production.
    public static let defaultIdleTimeout = Duration.seconds(10)

    /// The configured address.
    public let endpoint: MetricsEndpoint
    /// How many connections may be open at once; one more is closed at accept.
    public let maxConnections: Int
    /// How long a connection may go with nothing read and nothing written before it is closed.
    public let idleTimeout: Duration
    private let render: @Sendable () -> String
    private let gate: MetricsConnectionGate
    private var state = State.stopped

    /// Creates a stopped server; `render` produces the body of `/metrics`.
    /// - Parameters:
    ///   - maxConnections: the most connections open at once (at least 1).
    ///   - idleTimeout: how long a connection may go without a byte read or written.
    public init(
        endpoint: MetricsEndpoint, maxConnections: Int = MetricsServer.defaultMaxConnections,
        idleTimeout: Duration = MetricsServer.defaultIdleTimeout, render: @escaping @Sendable () -> String
    ) {
        self.endpoint = endpoint
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
        self.render = render
        gate = MetricsConnectionGate(limit: self.maxConnections)
    }

    /// The bound port while listening (the configured one, or the system's pick for port 0), else `nil`.
    public var boundPort: Int? {
        guard case .listening(_, let channel) = state else { return nil }
        return channel.localAddress?.port
    }

    /// What the listener has done with its connections since it was created; readable from any thread.
    public var connectionCounts: ConnectionCounts { gate.counts }

    /// Binds the endpoint and starts answering; returns once the socket listens.
    /// - Throws: the bind error (address in use, not an address of this machine, permission denied).
    public func start() throws {
        guard case .stopped = state else { return }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let render = self.render
        let gate = self.gate
        let idleTimeout = TimeAmount(self.idleTimeout)
        do {
            let channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 16)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    // A failed initializer makes NIO close the accepted socket before it is registered.
                    guard gate.admit() else {
                        return channel.eventLoop.makeFailedFuture(MetricsConnectionGate.LimitReached())
                    }
                    channel.closeFuture.whenComplete { _ in gate.release() }
                    return channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                        try pipeline.addHandler(CloseWhenIdleHandler(gate: gate))
                        try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                        try pipeline.addHandler(MetricsHTTPHandler(render: render, gate: gate))
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
