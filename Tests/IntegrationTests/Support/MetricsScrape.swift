import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Scraping the daemon's `/metrics` (`[daemon] metrics_listen`) as Prometheus does, for any test.

/// Scrapes until `condition` holds for the samples (`series → value`), with a deadline.
func waitForSamples(
    port: Int, _ what: String, timeout: Duration = .seconds(20), until condition: ([String: String]) -> Bool
) async throws -> [String: String] {
    let deadline = ContinuousClock.now + timeout
    var last = ""
    while ContinuousClock.now < deadline {
        if let response = try? scrape(port: port), response.status == 200 {
            last = response.body
            if condition(samples(response.body)) { return samples(response.body) }
        }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw HarnessError("timed out after \(timeout) waiting for /metrics to show \(what); last scrape:\n\(last)")
}

/// The samples of an exposition text: series (name and labels) → value.
func samples(_ text: String) -> [String: String] {
    var samples: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        samples[String(line[..<space])] = String(line[line.index(after: space)...])
    }
    return samples
}

/// A plain HTTP/1.1 exchange over a TCP socket, as a scraper makes it (`Connection: close`).
struct ScrapeResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
}

func scrape(port: Int, path: String = "/metrics", method: String = "GET") throws -> ScrapeResponse {
    let socket = try connectedSocket(port: port)
    defer { close(socket) }
    let request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
    let sent = request.withCString { send(socket, $0, strlen($0), 0) }
    guard sent == request.utf8.count else { throw HarnessError("could not send the request: errno \(errno)") }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else {
            if count < 0 { throw HarnessError("reading the response failed: errno \(errno)") }
            break
        }
        received += chunk[..<count]
    }
    let text = String(decoding: received, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { throw HarnessError("not an HTTP response: \(text)") }
    let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
    guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
        throw HarnessError("no status line: \(text)")
    }
    let headers = lines.dropFirst().compactMap { line -> (String, String)? in
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
    return ScrapeResponse(status: status, headers: headers, body: String(text[split.upperBound...]))
}

func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

func connectedSocket(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = loopbackAddress(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        let code = errno
        close(fd)
        throw HarnessError("connecting to 127.0.0.1:\(port) failed: \(String(cString: strerror(code)))")
    }
    return fd
}

/// A listening socket on 127.0.0.1 with a port the system picked; closed when it goes away.
final class LoopbackListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 1) == 0 else {
            close(fd)
            throw HarnessError("binding 127.0.0.1:0 failed: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

/// A port that was free a moment ago: bound on 127.0.0.1 with port 0, then closed.
func freeLoopbackPort() throws -> Int {
    try LoopbackListener().port
}
