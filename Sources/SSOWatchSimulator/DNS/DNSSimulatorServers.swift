import NIOCore
import NIOPosix
import Synchronization

/// The sockets of a `DNSSimulator`: a UDP and a TCP listener per address, all on one port, and the TCP
/// connections they accepted (closed on shutdown, even when stalled).
final class DNSSimulatorServers: Sendable {
    typealias Respond = @Sendable ([UInt8], String, Bool) -> DNSSimulatorAction

    private static let bindAttempts = 20
    private let group: any EventLoopGroup
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    /// The UDP socket of each address, for answers sent from another address than the one asked.
    private let udpSockets = Mutex<[String: any Channel]>([:])

    init(group: any EventLoopGroup) {
        self.group = group
    }

    /// Binds every address on one port: the first UDP socket takes a free one, the others reuse it. When
    /// another process holds that port on another address, everything is closed and tried again.
    func bind(addresses: [String], respond: @escaping Respond) async throws -> Int {
        var lastError: (any Error)?
        for _ in 0..<Self.bindAttempts {
            var port = 0
            do {
                for address in addresses {
                    let udp = try await bindUDP(address, port: port, respond: respond)
                    port = udp.localAddress?.port ?? port
                    _ = try await bindTCP(address, port: port, respond: respond)
                }
                return port
            } catch {
                lastError = error
                await shutdown()
            }
        }
        throw lastError ?? ChannelError.inappropriateOperationForState
    }

    /// Closes every listener and connection.
    func shutdown() async {
        let open = channels.withLock { channels in
            defer { channels.removeAll() }
            return Array(channels.values)
        }
        udpSockets.withLock { $0.removeAll() }
        for channel in open {
            try? await channel.close()
        }
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    private func bindUDP(_ address: String, port: Int, respond: @escaping Respond) async throws -> any Channel {
        let sockets: @Sendable (String) -> (any Channel)? = { [weak self] address in
            self?.udpSockets.withLock { $0[address] }
        }
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = UDPServerHandler(address: address, respond: respond, sockets: sockets)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: address, port: port)
            .get()
        track(channel)
        udpSockets.withLock { $0[address] = channel }
        return channel
    }

    private func bindTCP(_ address: String, port: Int, respond: @escaping Respond) async throws -> any Channel {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TCPServerHandler(address: address, respond: respond))
                }
            }
            .bind(host: address, port: port)
            .get()
        track(channel)
        return channel
    }
}

/// Answers datagrams, after the configured delay.
private final class UDPServerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let address: String
    private let respond: DNSSimulatorServers.Respond
    private let sockets: @Sendable (String) -> (any Channel)?

    init(
        address: String, respond: @escaping DNSSimulatorServers.Respond,
        sockets: @escaping @Sendable (String) -> (any Channel)?
    ) {
        self.address = address
        self.respond = respond
        self.sockets = sockets
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let peer = envelope.remoteAddress
        let action = respond(Array(envelope.data.readableBytesView), address, false)
        guard case .reply(let answer, let delay, let decoy, let from) = action else { return }
        let channel: any Channel
        if let from {
            guard let socket = sockets(from) else { return }
            channel = socket
        } else {
            channel = context.channel
        }
        let send: @Sendable () -> Void = {
            if let decoy {
                channel.write(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: decoy)), promise: nil)
            }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: answer)), promise: nil)
        }
        if let delay {
            context.eventLoop.scheduleTask(in: TimeAmount(delay), send)
        } else {
            send()
        }
    }
}

/// Reads length-prefixed queries and answers each, after the configured delay.
private final class TCPServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let address: String
    private let respond: DNSSimulatorServers.Respond
    private var received = ByteBuffer()

    init(address: String, respond: @escaping DNSSimulatorServers.Respond) {
        self.address = address
        self.respond = respond
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        while let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= 2 + Int(length)
        {
            received.moveReaderIndex(forwardBy: 2)
            let query = received.readBytes(length: Int(length)) ?? []
            handle(query, context: context)
        }
        received.discardReadBytes()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func handle(_ query: [UInt8], context: ChannelHandlerContext) {
        let channel = context.channel
        switch respond(query, address, true) {
        case .drop:
            return
        case .stall(let answer):
            var frame = ByteBuffer()
            frame.writeInteger(UInt16(answer.count))
            frame.writeBytes(answer.prefix(answer.count / 2))
            channel.writeAndFlush(frame, promise: nil)
        case .reply(let answer, let delay, _, _):
            var frame = ByteBuffer()
            frame.writeInteger(UInt16(answer.count))
            frame.writeBytes(answer)
            let reply = frame
            if let delay {
                context.eventLoop.scheduleTask(in: TimeAmount(delay)) { channel.writeAndFlush(reply, promise: nil) }
            } else {
                channel.writeAndFlush(reply, promise: nil)
            }
        }
    }
}
