import Dispatch
import Foundation
import SSOWatchSimulator

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A response as a raw HTTP/1.1 client read it.
struct RawResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body as a JSON object, or nil.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    /// `errors[i].code` of an envelope.
    var errorCodes: [Int] {
        ((json?["errors"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? Int }
    }
}

enum RawHTTPError: Error, Equatable {
    case connect(Int32)
    case closedBeforeResponse
    case malformedResponse(String)
}

/// A minimal blocking HTTP/1.1 client over a loopback socket. Tests need to send things a real client
/// would not (malformed headers, raw bodies) and to see dropped connections as they are.
final class RawHTTPConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        #if canImport(Glibc)
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw RawHTTPError.connect(errno)
        }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Sends one request with `Host` and `Content-Length` added.
    func send(method: String, path: String, headers: [(String, String)], body: String?) {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        send(text)
    }

    /// Reads one response framed by `Content-Length` (or by the connection closing).
    func readResponse() throws -> RawResponse {
        let separator = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = buffer.firstRange(of: separator)?.upperBound
            if headerEnd == nil && !fill() {
                throw RawHTTPError.closedBeforeResponse
            }
        }
        let headText = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        buffer.removeFirst(headerEnd!)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw RawHTTPError.malformedResponse(headText)
        }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let response = RawResponse(status: status, headers: headers, body: "")
        if status == 204 || status == 304 || status < 200 { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while buffer.count < length {
                guard fill() else { throw RawHTTPError.malformedResponse("body shorter than Content-Length") }
            }
            let body = String(decoding: buffer[..<length], as: UTF8.self)
            buffer.removeFirst(length)
            return RawResponse(status: status, headers: headers, body: body)
        }
        while fill() {}
        defer { buffer.removeAll() }
        return RawResponse(status: status, headers: headers, body: String(decoding: buffer, as: UTF8.self))
    }

    /// Whether the server closed the connection (reads EOF).
    func isClosedByPeer() -> Bool { buffer.isEmpty && !fill() }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[..<n])
        return true
    }
}

/// Runs a blocking request off the cooperative pool.
func rawRequest(
    port: Int, method: String = "GET", path: String, headers: [(String, String)] = [], body: String? = nil
) async throws -> RawResponse {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                with: Result {
                    let connection = try RawHTTPConnection(port: port)
                    connection.send(method: method, path: path, headers: headers, body: body)
                    return try connection.readResponse()
                })
        }
    }
}

/// Runs blocking work on a connection off the cooperative pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// Fixed ids and tokens for simulator tests.
enum SimulatorFixture {
    static let account = "023e105f4ecef8ad9ca31a8372d0c353"
    static let otherAccount = "0123456789abcdef0123456789abcdef"
    static let token = "cfut_test_token_1"
    static let otherToken = "cfut_test_token_2"
    static let connectorPath = "/client/v4/accounts/\(account)/sso_connectors"
    static let auth = [("Authorization", "Bearer \(token)")]
    static let jsonAuth = auth + [("Content-Type", "application/json")]
}

/// Starts a simulator on a free port where each of `accounts` accepts its token (by default
/// `SimulatorFixture.account` with `SimulatorFixture.token` and `SimulatorFixture.otherAccount` with
/// `SimulatorFixture.otherToken`), runs `body`, and stops it whatever happens.
func withSimulator(
    accounts: [(id: String, token: String)] = [
        (SimulatorFixture.account, SimulatorFixture.token),
        (SimulatorFixture.otherAccount, SimulatorFixture.otherToken),
    ],
    _ body: (CloudflareSimulator) async throws -> Void
) async throws {
    let simulator = CloudflareSimulator(threads: 1)
    for account in accounts { simulator.addAccount(id: account.id, token: account.token) }
    try await simulator.start()
    do {
        try await body(simulator)
    } catch {
        try await simulator.stop()
        throw error
    }
    try await simulator.stop()
}

/// Starts a webhook receiver on a free port, runs `body`, and stops it whatever happens.
func withReceiver(_ body: (WebhookReceiver) async throws -> Void) async throws {
    let receiver = WebhookReceiver()
    try await receiver.start()
    do {
        try await body(receiver)
    } catch {
        try await receiver.stop()
        throw error
    }
    try await receiver.stop()
}
