import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP connection to 127.0.0.1 made with the C socket calls and non-blocking once connected, so a test
/// decides when it sends, when it reads and how long it waits for either; an HTTP client would read
/// every answer as it comes.
public final class LoopbackSocket {
    public let fd: Int32
    private var received: [UInt8] = []

    /// Connects to `port`; `receiveBuffer` sets `SO_RCVBUF` first, which bounds how much the kernel
    /// takes in for a test that does not read.
    public init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = try connectToLoopback(port: port, receiveBuffer: receiveBuffer)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Whether the peer has closed the connection: end of file or a reset, after any data it sent.
    public var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK))
        if count == 0 { return true }
        return count < 0 && (errno == ECONNRESET || errno == EPIPE)
    }

    /// Waits until the peer closes the connection; `false` if it is still open when `timeout` ends.
    public func waitForClose(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isClosedByPeer { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return isClosedByPeer
    }

    /// Sends what the socket takes now of `bytes`, without waiting; returns how many it took.
    public func sendAvailable(_ bytes: ArraySlice<UInt8>) throws -> Int {
        let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if count >= 0 { return count }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw TestSupportError("send failed: \(String(cString: strerror(errno)))")
    }

    /// Reads what has arrived, without waiting: empty when nothing has.
    /// - Throws: when the peer has closed the connection or the read fails.
    public func receiveAvailable() throws -> ArraySlice<UInt8> {
        var chunk = [UInt8](repeating: 0, count: 262_144)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { return chunk[..<count] }
        if count == 0 { throw TestSupportError("the server closed the connection") }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return [] }
        throw TestSupportError("recv failed: \(String(cString: strerror(errno)))")
    }

    /// Sends `GET path` on this (kept-alive) connection and reads the answer: status and body.
    public func get(_ path: String, timeout: Duration = .seconds(10)) async throws -> (status: Int, body: String) {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        let deadline = ContinuousClock.now + timeout
        var sent = 0
        while sent < request.count {
            sent += try sendAvailable(request[sent...])
            guard ContinuousClock.now < deadline else { throw TestSupportError("sending GET \(path) timed out") }
        }
        while true {
            if let response = HTTPResponseFraming.split(&received) {
                return (response.status, String(decoding: response.body, as: UTF8.self))
            }
            let chunk = try receiveAvailable()
            if chunk.isEmpty {
                guard ContinuousClock.now < deadline else {
                    throw TestSupportError("no answer to GET \(path) within \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            received += chunk
        }
    }
}

/// Where one HTTP/1.1 answer framed by `Content-Length` ends in a stream of answers.
public enum HTTPResponseFraming {
    /// The status, header length and body length of the answer `bytes` starts with, once its header
    /// has arrived; `nil` until then.
    public static func header(of bytes: some Collection<UInt8>) -> (status: Int, headerLength: Int, bodyLength: Int)? {
        let separator = Array("\r\n\r\n".utf8)
        let window = bytes.prefix(8_192)
        guard let end = Array(window).firstRange(of: separator)?.upperBound else { return nil }
        let lines = String(decoding: window.prefix(end), as: UTF8.self).components(separatedBy: "\r\n")
        let status = lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let length = lines.lazy.compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first
        return (status, end, length ?? 0)
    }

    /// Removes the first complete answer from `bytes` and returns it; `nil` while it is incomplete.
    public static func split(_ bytes: inout [UInt8]) -> (status: Int, body: ArraySlice<UInt8>)? {
        guard let header = header(of: bytes), bytes.count >= header.headerLength + header.bodyLength else {
            return nil
        }
        let body = bytes[header.headerLength..<(header.headerLength + header.bodyLength)]
        bytes.removeFirst(header.headerLength + header.bodyLength)
        return (header.status, body)
    }
}

/// Counts the answers in a stream of them as it arrives, keeping only the header being read: a test can
/// take in hundreds of megabytes of answers without holding them.
public struct AnswerCounter {
    /// Complete answers so far.
    public private(set) var answers = 0
    /// The statuses seen, each once.
    public private(set) var statuses: Set<Int> = []
    /// The body lengths seen, each once.
    public private(set) var bodyLengths: Set<Int> = []
    private var header: [UInt8] = []
    private var bodyLeft = 0

    public init() {}

    public mutating func consume(_ bytes: ArraySlice<UInt8>) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bodyLeft > 0 {
                let taken = min(bodyLeft, bytes.endIndex - index)
                bodyLeft -= taken
                index += taken
                if bodyLeft == 0 { answers += 1 }
                continue
            }
            header.append(bytes[index])
            index += 1
            guard header.count >= 4, header.suffix(4).elementsEqual("\r\n\r\n".utf8),
                let parsed = HTTPResponseFraming.header(of: header)
            else { continue }
            statuses.insert(parsed.status)
            bodyLengths.insert(parsed.bodyLength)
            header.removeAll(keepingCapacity: true)
            bodyLeft = parsed.bodyLength
            if bodyLeft == 0 { answers += 1 }
        }
    }
}
