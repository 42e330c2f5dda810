import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Asks one DNS server one question: over UDP with EDNS(0), again over TCP when the answer is truncated.
///
/// Every exchange (bind or connect, send, receive) has its own deadline, enforced by a timer on the
/// channel's event loop that fails the exchange and closes the channel, so neither a silent server nor one
/// that stalls in the middle of a TCP answer can hold the caller past `timeout`. Each UDP attempt uses a
/// fresh socket (a new random source port) and a new random id, and accepts only an answer from the
/// server's address and port that echoes the id and the question; anything else is ignored and the wait
/// goes on. Every channel is closed when its exchange ends.
public struct DNSClient: Sendable {
    /// The deadline of one exchange with one server (`dns_timeout`); UDP retries each get their own.
    public var timeout: Duration
    /// How many times a query is sent over UDP before giving up.
    public var udpAttempts: Int
    /// The UDP payload size advertised with EDNS(0).
    public var payloadSize: UInt16
    private let group: any EventLoopGroup
    private let logger: Logger

    /// Creates a client.
    /// - Parameters:
    ///   - eventLoopGroup: where sockets live; the process-wide NIO group by default.
    ///   - timeout: the deadline of one exchange.
    ///   - udpAttempts: UDP sends per query (at least 1).
    ///   - payloadSize: the EDNS(0) UDP payload size to advertise.
    ///   - logger: receives one `debug` line per failed exchange.
    public init(
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: Duration = .seconds(3),
        udpAttempts: Int = 2, payloadSize: UInt16 = DNSEDNS.recommendedPayloadSize,
        logger: Logger = Logger(label: "ssowatch.dns", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.group = eventLoopGroup
        self.timeout = timeout
        self.udpAttempts = max(1, udpAttempts)
        self.payloadSize = payloadSize
        self.logger = logger
    }

    /// Sends `type` `name` to `server` and returns its answer, whatever its response code: SERVFAIL,
    /// REFUSED and NXDOMAIN are answers, for the caller to judge.
    /// - Parameter recursionDesired: `true` for a resolver, `false` for an authoritative server.
    /// - Throws: `DNSClientError` when no usable answer came.
    public func query(
        _ name: DNSName, type: DNSRecordType, server: DNSServerAddress, recursionDesired: Bool
    ) async throws(DNSClientError) -> DNSMessage {
        let question = DNSQuestion(name: name, type: type)
        var lastError = DNSClientError(.timeout, server: server, question: question, reason: "")
        for attempt in 1...udpAttempts {
            do {
                let answer = try await exchange(
                    question, server: server, recursionDesired: recursionDesired, tcp: false)
                guard answer.isTruncated else { return answer }
                logger.debug("DNS answer truncated over UDP, asking over TCP", metadata: ["dns.server": "\(server)"])
                return try await exchange(question, server: server, recursionDesired: recursionDesired, tcp: true)
            } catch {
                lastError = error
                logger.debug(
                    "DNS exchange failed",
                    metadata: ["dns.server": "\(server)", "attempt": "\(attempt)", "error": "\(error)"])
                // Over TCP the one attempt was made; a truncated UDP answer would only come again.
                if error.kind != .timeout { break }
            }
        }
        throw lastError
    }

    private func exchange(
        _ question: DNSQuestion, server: DNSServerAddress, recursionDesired: Bool, tcp: Bool
    ) async throws(DNSClientError) -> DNSMessage {
        let id = UInt16.random(in: 0...UInt16.max)
        let query = DNSMessage.query(
            id: id, name: question.name, type: question.type, recursionDesired: recursionDesired,
            payloadSize: payloadSize)
        // Encoding a one-question query cannot fail: the name was validated when it was made.
        let bytes = (try? query.encode()) ?? []
        let matcher = DNSAnswerMatcher(id: id, question: question, server: server.socketAddress)
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: DNSMessage.self)
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let timer = eventLoop.scheduleTask(deadline: deadline) { promise.fail(DNSExchangeFailure.deadline) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        if tcp {
            DNSTCPExchange.start(bytes, matcher: matcher, on: eventLoop, deadline: deadline, promise: promise)
        } else {
            DNSUDPExchange.start(bytes, matcher: matcher, on: eventLoop, promise: promise)
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            throw Self.clientError(error, server: server, question: question)
        }
    }

    private static func clientError(_ error: any Error, server: DNSServerAddress, question: DNSQuestion)
        -> DNSClientError
    {
        switch error {
        case DNSExchangeFailure.deadline:
            return DNSClientError(.timeout, server: server, question: question, reason: "")
        case DNSExchangeFailure.malformed(let reason):
            return DNSClientError(.malformedAnswer, server: server, question: question, reason: reason)
        case ChannelError.connectTimeout(_):
            return DNSClientError(.timeout, server: server, question: question, reason: "")
        case let error as IOError:
            return DNSClientError(.unreachable, server: server, question: question, reason: Self.describe(error))
        default:
            return DNSClientError(.unreachable, server: server, question: question, reason: "\(error)")
        }
    }

    private static func describe(_ error: IOError) -> String {
        switch error.errnoCode {
        case ECONNREFUSED: "connection refused"
        case ENETUNREACH: "network unreachable"
        case EHOSTUNREACH: "host unreachable"
        default: "\(error)"
        }
    }
}
