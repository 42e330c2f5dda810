import Foundation
import SSOWatchTestSupport

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
            if condition(prometheusSamples(response.body)) { return prometheusSamples(response.body) }
        }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw HarnessError("timed out after \(timeout) waiting for /metrics to show \(what); last scrape:\n\(last)")
}

/// A plain HTTP/1.1 exchange over a TCP socket, as a scraper makes it (`Connection: close`).
struct ScrapeResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
}

func scrape(port: Int, path: String = "/metrics", method: String = "GET") throws -> ScrapeResponse {
    let socket = try connectToLoopback(port: port, receiveTimeout: 5)
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
