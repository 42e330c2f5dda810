import NIOCore
import NIOPosix

/// Why an exchange ended without an answer, before it is turned into a `DNSClientError`.
enum DNSExchangeFailure: Error {
    /// The deadline passed without a matching answer.
    case deadline
    /// A TCP answer that cannot be used.
    case malformed(String)
}

/// Decides whether a received message answers the query that was sent.
struct DNSAnswerMatcher: Sendable {
    let id: UInt16
    let question: DNSQuestion
    let server: SocketAddress

    /// `nil` when `bytes` answer the query, otherwise why not.
    func rejection(of bytes: [UInt8]) -> (message: DNSMessage?, reason: String?) {
        let message: DNSMessage
        do {
            message = try DNSMessage.decode(bytes)
        } catch {
            return (nil, "an undecodable answer (\(error.reason))")
        }
        if message.id != id { return (message, "an answer with the wrong id") }
        if !message.isResponse { return (message, "a query instead of an answer") }
        guard message.questions.count == 1, let echoed = message.questions.first,
            echoed.name == question.name, echoed.type == question.type, echoed.recordClass == question.recordClass
        else { return (message, "an answer to another question") }
        return (message, nil)
    }
}

/// One UDP exchange: a fresh socket on a random port, one datagram out, the first matching one in.
enum DNSUDPExchange {
    static func start(
        _ query: [UInt8], matcher: DNSAnswerMatcher, on eventLoop: any EventLoop, promise: EventLoopPromise<DNSMessage>
    ) {
        let bindHost = matcher.server.protocol == .inet6 ? "::" : "0.0.0.0"
        DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPAnswerHandler(matcher: matcher, promise: promise))
                }
            }
            .bind(host: bindHost, port: 0)
            .sendQuery(AddressedEnvelope(remoteAddress: matcher.server, data: ByteBuffer(bytes: query)), for: promise)
    }
}

extension EventLoopFuture where Value == any Channel {
    /// Once the channel is up, writes `query` on it; the channel closes when `promise` completes, and a
    /// channel that cannot be opened or written fails it.
    fileprivate func sendQuery<Query: Sendable>(_ query: Query, for promise: EventLoopPromise<DNSMessage>) {
        whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(error)
            case .success(let channel):
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                channel.writeAndFlush(query).whenFailure { promise.fail($0) }
            }
        }
    }
}

/// Reads datagrams until one answers the query; the others (from another address, with another id or
/// question, undecodable) are dropped, as a spoofed or late answer must not end the wait.
private final class UDPAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let matcher: DNSAnswerMatcher
    private let promise: EventLoopPromise<DNSMessage>

    init(matcher: DNSAnswerMatcher, promise: EventLoopPromise<DNSMessage>) {
        self.matcher = matcher
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == matcher.server else { return }
        if case (let message?, nil) = matcher.rejection(of: Array(envelope.data.readableBytesView)) {
            promise.succeed(message)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSExchangeFailure.deadline)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
    }
}

/// One TCP exchange: connect, send the length-prefixed query, read one length-prefixed answer.
enum DNSTCPExchange {
    static func start(
        _ query: [UInt8], matcher: DNSAnswerMatcher, on eventLoop: any EventLoop, deadline: NIODeadline,
        promise: EventLoopPromise<DNSMessage>
    ) {
        var framed = ByteBuffer()
        framed.writeInteger(UInt16(query.count))
        framed.writeBytes(query)
        let frame = framed
        ClientBootstrap(group: eventLoop)
            .connectTimeout(max(deadline - .now(), .milliseconds(1)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TCPAnswerHandler(matcher: matcher, promise: promise))
                }
            }
            .connect(to: matcher.server)
            .sendQuery(frame, for: promise)
    }
}

/// Collects bytes until the announced length has arrived, then judges the answer.
private final class TCPAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let matcher: DNSAnswerMatcher
    private let promise: EventLoopPromise<DNSMessage>
    private var received = ByteBuffer()

    init(matcher: DNSAnswerMatcher, promise: EventLoopPromise<DNSMessage>) {
        self.matcher = matcher
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        guard let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= 2 + Int(length),
            let bytes = received.getBytes(at: received.readerIndex + 2, length: Int(length))
        else { return }
        switch matcher.rejection(of: bytes) {
        case (let message?, nil):
            promise.succeed(message)
        case (_, let reason):
            promise.fail(DNSExchangeFailure.malformed(reason ?? "an unusable answer"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let detail = received.readableBytes == 0 ? "" : " after \(received.readableBytes) bytes"
        promise.fail(DNSExchangeFailure.malformed("the server closed the connection\(detail)"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
    }
}
