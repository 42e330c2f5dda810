import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SSOWatchModel
import Synchronization

/// One HTTP request, as ssowatch's code describes it (independent of the HTTP library).
public struct HTTPRequestSpec: Sendable {
    public var method: String
    /// The full URL. It may contain secrets (webhook URLs): never log it; use `host` instead.
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Deadline for the whole exchange, in seconds.
    public var timeout: TimeInterval

    /// Creates a request.
    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: TimeInterval
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The URL's host: the only part of a URL that may appear in a log line.
    public var host: String { URLComponents(string: url)?.host ?? "(invalid URL)" }
}

/// One HTTP response.
public struct HTTPResponseSpec: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { Self.sameHeaderName($0.name, name) }?.value
    }

    /// Case-insensitive equality: ASCII names (all real ones) compared byte by byte, anything else as
    /// `caseInsensitiveCompare` does. Foundation's comparison on every header of every poll was a visible
    /// share of the daemon's CPU profile (BENCHMARKS.md).
    static func sameHeaderName(_ lhs: String, _ rhs: String) -> Bool {
        let (left, right) = (lhs.utf8, rhs.utf8)
        guard left.allSatisfy({ $0 < 0x80 }), right.allSatisfy({ $0 < 0x80 }) else {
            return lhs.caseInsensitiveCompare(rhs) == .orderedSame
        }
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (0x61...0x7A).contains(a | 0x20))
        }
    }
}

/// Why an HTTP exchange produced no response. Descriptions carry the host only, never the URL.
public enum HTTPTransportError: Error, Sendable, CustomStringConvertible, Equatable {
    /// No response within the request's timeout.
    case timeout(host: String, seconds: TimeInterval)
    /// Connecting, sending or receiving failed.
    case connection(host: String, reason: String)
    /// The response body was larger than ssowatch accepts.
    case responseTooLarge(host: String, limit: Int)
    /// The URL could not be used.
    case invalidURL
    /// The extra CA certificates (`ca_file`) could not be loaded.
    case invalidCertificates(file: String, reason: String)

    public var description: String {
        switch self {
        case .timeout(let host, let seconds): "no response from \(host) within \(formatSeconds(seconds))"
        case .connection(let host, let reason): "connection to \(host) failed: \(reason)"
        case .responseTooLarge(let host, let limit): "response from \(host) exceeded \(limit) bytes"
        case .invalidURL: "invalid URL"
        case .invalidCertificates(let file, let reason): "cannot use the CA certificates of \(file): \(reason)"
        }
    }
}

/// The seam through which every HTTP request leaves ssowatch. Tests can pass a fake.
public protocol HTTPTransport: Sendable {
    /// Sends a request and returns the response, whatever its status.
    /// - Throws: `HTTPTransportError` when no response arrived.
    func send(_ request: HTTPRequestSpec) async throws(HTTPTransportError) -> HTTPResponseSpec
}

/// The production transport, on async-http-client. Redirects are never followed: a webhook or API
/// URL that redirects is a misconfiguration to report, and following it could leak a bearer token.
///
/// Proxies and extra CAs (docs/CONFIGURATION.md, "Proxies and private CAs") are set with `apply`; as
/// async-http-client has one proxy per client, the transport keeps one client per proxy plus one direct
/// client and picks one per request.
public final class AsyncHTTPTransport: HTTPTransport {
    private struct Clients {
        var network: NetworkSettings
        var direct: HTTPClient
        var proxied: [ProxyServer: HTTPClient]
    }

    private let clients: Mutex<Clients>
    /// Clients replaced by `apply`: requests in flight on them finish; they are shut down with the transport.
    private let retired = Mutex<[HTTPClient]>([])
    private let maxResponseBytes: Int

    /// Creates a transport with its own connection pool, connecting directly with the system's CAs.
    /// - Parameter maxResponseBytes: larger bodies fail the request instead of exhausting memory.
    public init(maxResponseBytes: Int = 32 << 20) {
        let network = NetworkSettings()
        self.clients = Mutex(Clients(network: network, direct: Self.makeClient(proxy: nil, tls: nil), proxied: [:]))
        self.maxResponseBytes = maxResponseBytes
    }

    /// Creates a transport that uses `network`'s proxies and CAs.
    /// - Throws: `HTTPTransportError.invalidCertificates` when the CA PEM cannot be used.
    public convenience init(maxResponseBytes: Int = 32 << 20, network: NetworkSettings) throws(HTTPTransportError) {
        self.init(maxResponseBytes: maxResponseBytes)
        try apply(network)
    }

    /// Uses `network` for the requests sent from now on; a no-op when it is unchanged. Requests in flight
    /// finish on the clients they started on.
    /// - Throws: `HTTPTransportError.invalidCertificates` when the CA PEM cannot be used; nothing changes then.
    public func apply(_ network: NetworkSettings) throws(HTTPTransportError) {
        guard clients.withLock({ $0.network != network }) else { return }
        let tls = try Self.tlsConfiguration(network)
        let servers = Set([network.proxy.https, network.proxy.http].compactMap { $0 })
        var proxied: [ProxyServer: HTTPClient] = [:]
        for server in servers { proxied[server] = Self.makeClient(proxy: server, tls: tls) }
        let fresh = Clients(network: network, direct: Self.makeClient(proxy: nil, tls: tls), proxied: proxied)
        let old = clients.withLock { clients in
            defer { clients = fresh }
            return clients
        }
        retired.withLock { $0 += [old.direct] + old.proxied.values }
    }

    /// The TLS settings for the extra CAs, or `nil` for the defaults (the system's CAs). Verification stays on.
    static func tlsConfiguration(_ network: NetworkSettings) throws(HTTPTransportError) -> TLSConfiguration? {
        guard let pem = network.caPEM else { return nil }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(pem)
        } catch {
            throw .invalidCertificates(file: network.caFile ?? "ca_file", reason: String(describing: error))
        }
        guard !certificates.isEmpty else {
            throw .invalidCertificates(file: network.caFile ?? "ca_file", reason: "no certificate")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.certificates(certificates)]
        return tls
    }

    private static func makeClient(proxy: ProxyServer?, tls: TLSConfiguration?) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .enabled(limit: .ratio(50))
        configuration.timeout = .init(connect: .seconds(10))
        // ssowatch has its own retry policies (poll backoff, delivery backoff); a refused
        // connection should fail the attempt now rather than be retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .automatic
        configuration.tlsConfiguration = tls
        if let proxy {
            let authorization = proxy.credentials.map {
                HTTPClient.Authorization.basic(username: $0.username, password: $0.password)
            }
            configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The client for one request, and its proxy (`nil`: direct).
    private func client(for url: String) -> (HTTPClient, ProxyServer?) {
        // The URL is parsed outside the lock, and only when some proxy is set.
        let (settings, direct, proxied) = clients.withLock { ($0.network.proxy, $0.direct, $0.proxied) }
        guard !settings.isEmpty, let server = settings.proxy(for: url), let client = proxied[server] else {
            return (direct, nil)
        }
        return (client, server)
    }

    /// Closes the connection pools. Call once, before the process exits.
    public func shutdown() async {
        let all = clients.withLock { [$0.direct] + $0.proxied.values } + retired.withLock { $0 }
        for client in all { try? await client.shutdown() }
    }

    public func send(_ request: HTTPRequestSpec) async throws(HTTPTransportError) -> HTTPResponseSpec {
        let host = request.host
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let timeout = TimeAmount.milliseconds(Int64((request.timeout * 1000).rounded(.up)))
        let deadline = NIODeadline.now() + timeout
        let (client, proxy) = client(for: request.url)
        let (limit, prepared) = (maxResponseBytes, outgoing)
        do {
            // AsyncHTTPClient's deadline ends with the response head; the body of a peer that sends its
            // head and then nothing would be read forever. One deadline covers connect, head and body
            // (docs/CONFIGURATION.md, `request_timeout` and `timeout`).
            return try await withDeadline(seconds: request.timeout) {
                let response = try await client.execute(prepared, deadline: deadline)
                let buffer = try await response.body.collect(upTo: limit)
                return HTTPResponseSpec(
                    status: Int(response.status.code),
                    headers: response.headers.map { (name: $0.name, value: $0.value) },
                    body: Array(buffer.readableBytesView))
            }
        } catch is DeadlineExceeded {
            throw .timeout(host: host, seconds: request.timeout)
        } catch let error as HTTPClientError {
            if [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error) {
                throw .timeout(host: host, seconds: request.timeout)
            }
            if [.invalidURL, .emptyHost, .emptyScheme, .missingSocketPath].contains(error) {
                throw .invalidURL
            }
            throw .connection(host: host, reason: Self.reason(error, proxy: proxy))
        } catch is NIOTooManyBytesError {
            throw .responseTooLarge(host: host, limit: maxResponseBytes)
        } catch is CancellationError {
            throw .connection(host: host, reason: "cancelled")
        } catch {
            throw .connection(host: host, reason: Self.reason(error, proxy: proxy))
        }
    }
}

/// The error `withDeadline` throws when the operation outlived its deadline.
struct DeadlineExceeded: Error {}

/// Runs `operation` and returns its result, or throws `DeadlineExceeded` once `seconds` have passed,
/// whichever comes first. On the deadline the operation's task is cancelled and *not* awaited: an
/// operation that ignores cancellation cannot hold its caller past the deadline (its late result is
/// dropped). Cancelling the caller cancels the operation.
func withDeadline<T: Sendable>(
    seconds: TimeInterval, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation)
            let work = Task {
                do {
                    race.finish(.success(try await operation()))
                } catch {
                    race.finish(.failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
                if !Task.isCancelled, race.finish(.failure(DeadlineExceeded())) { work.cancel() }
            }
            race.setTasks(work: work, timer: timer)
        }
    } onCancel: {
        race.cancel()
    }
}

/// The shared state of one `withDeadline` call: the first of result, deadline and cancellation wins.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var finished = false
        var cancelled = false
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let cancelled = state.withLock { state in
            state.continuation = continuation
            return state.cancelled
        }
        if cancelled { finish(.failure(CancellationError())) }
    }

    func setTasks(work: Task<Void, Never>, timer: Task<Void, Never>) {
        let finished = state.withLock { state in
            state.work = work
            state.timer = timer
            return state.finished
        }
        if finished {
            // Already resumed (a cancellation before the tasks existed): nothing is waiting for them.
            work.cancel()
            timer.cancel()
        }
    }

    /// Resumes the caller unless something else already did; returns whether this call did.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, timer) = state.withLock {
            state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            guard !state.finished, let continuation = state.continuation else { return (nil, nil) }
            state.finished = true
            state.continuation = nil
            return (continuation, state.timer)
        }
        guard let continuation else { return false }
        timer?.cancel()
        continuation.resume(with: result)
        return true
    }

    func cancel() {
        let work = state.withLock { state in
            state.cancelled = true
            return state.work
        }
        work?.cancel()
        finish(.failure(CancellationError()))
    }
}

/// `90` → `1m30s`, `45` → `45s`, `0.5` → `0.5s`: durations as people write them in the INI.
public func formatSeconds(_ seconds: TimeInterval) -> String {
    // Beyond about 30 million years `Int(seconds)` would trap; such a value is only ever a hostile one.
    if seconds < 1 || seconds != seconds.rounded() || seconds >= 1e15 {
        return String(format: "%gs", seconds)
    }
    var rest = Int(seconds)
    var parts = ""
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
        parts += "\(rest / size)\(unit)"
        rest %= size
    }
    return parts.isEmpty ? "0s" : parts
}
