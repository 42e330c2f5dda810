import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// An HTTPS server on 127.0.0.1 whose certificate a test CA signed (`TLSFixtures/`): ssowatch trusts it
/// only through `ca_file`. It answers every request with `200 ok` and counts them.
final class TLSTestServer: Sendable {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TLSFixtures")
    /// The test CA, as `ca_file` gives it.
    static let caFile = fixtures.appendingPathComponent("ca.pem").path

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: Mutex<(any Channel)?> = Mutex(nil)
    private let counter = Mutex(0)

    /// Requests answered so far.
    var count: Int { counter.withLock { $0 } }

    var port: Int { channel.withLock { $0?.localAddress?.port ?? 0 } }

    func start() async throws {
        let certificates = try NIOSSLCertificate.fromPEMFile(Self.fixtures.appendingPathComponent("server.pem").path)
        let key = try NIOSSLPrivateKey(file: Self.fixtures.appendingPathComponent("server.key").path, format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        let context = try NIOSSLContext(configuration: configuration)
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: context))
                    try sync.configureHTTPServerPipeline()
                    try sync.addHandler(OKResponder(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        channel.withLock { $0 = bound }
    }

    func stop() async throws {
        let bound = channel.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await bound?.close()
        try await group.shutdownGracefully()
    }

    fileprivate func answered() { counter.withLock { $0 += 1 } }
}

/// Runs `body` with a started `TLSTestServer`, stopped afterwards.
func withTLSServer<T>(_ body: (TLSTestServer) async throws -> T) async throws -> T {
    let server = TLSTestServer()
    try await server.start()
    do {
        let result = try await body(server)
        try await server.stop()
        return result
    } catch {
        try? await server.stop()
        throw error
    }
}

private final class OKResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: TLSTestServer

    init(server: TLSTestServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        server.answered()
        let head = HTTPResponseHead(
            version: .http1_1, status: .ok, headers: ["Content-Length": "2", "Content-Type": "text/plain"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
