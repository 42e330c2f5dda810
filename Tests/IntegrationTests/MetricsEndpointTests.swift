import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ssowatch run` with `[daemon] metrics_listen`: what a Prometheus scrape of the real binary shows,
/// how reloads move the listener, and that a busy port does not stop the daemon.
@Suite struct MetricsEndpointTests {
    typealias Harness = DaemonHarness

    @Test func scrapesShowConnectorsPollsAndNotifications() async throws {
        try await withDaemonHarness { h in
            let verifying = h.connector(.prod, "verify.example.com", "pending")
            let failing = h.connector(.prod, "fail.example.com", "pending")
            let port = try freeLoopbackPort()
            let config = try h.config()
                .daemon("metrics_listen", "127.0.0.1:\(port)")
                .webhook("audit", type: "generic", url: h.url(Harness.genericPath), [("events", "all")])
                .write(to: h.directory)

            try await h.withDaemon(configPath: config) { daemon in
                try await h.notify.waitForMessage(containing: "READY=1")
                // Listening as soon as the daemon is ready, before any poll.
                let first = try scrape(port: port)
                #expect(first.status == 200)
                #expect(first.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
                #expect(first.body.contains("ssowatch_build_info{version="))
                #expect(first.body.contains("ssowatch_polls_total{account=\"prod\",result=\"error\"} 0"))

                try await h.waitForStatus(containing: "2 connectors in 1 account: 2 pending")
                h.set(.prod, verifying, "verified")
                h.set(.prod, failing, "failed")
                let samples = try await waitForSamples(port: port, "both changes and their deliveries") { samples in
                    samples[connectorStatus(verifying, "verify.example.com", "verified")] == "1"
                        && samples[connectorStatus(failing, "fail.example.com", "failed")] == "1"
                        && samples["ssowatch_notifications_total{webhook=\"audit\",result=\"delivered\"}"] == "2"
                }
                #expect(samples[connectorStatus(verifying, "verify.example.com", "pending")] == "0")
                #expect(samples[connectorStatus(failing, "fail.example.com", "pending")] == "0")
                #expect(samples["ssowatch_outbox_events"] == "0.0")
                #expect(Int(samples["ssowatch_polls_total{account=\"prod\",result=\"success\"}"] ?? "") ?? 0 >= 2)
                #expect(Int(samples["ssowatch_api_requests_total{code=\"200\"}"] ?? "") ?? 0 >= 2)
                #expect(Int(samples["ssowatch_poll_duration_seconds_count"] ?? "") ?? 0 >= 2)
                #expect(
                    samples["ssowatch_rate_limit_remaining{token=\"prod\"}"] != nil, "the simulator sends Ratelimit")
                #expect(samples["ssowatch_account_consecutive_failures{account=\"prod\"}"] == "0")
                let since = samples[
                    "ssowatch_connector_status_since_seconds{account=\"prod\",connector=\"\(verifying)\","
                        + "domain=\"verify.example.com\"}"]
                let sinceSeconds = try #require(since.flatMap(Double.init))
                #expect(abs(sinceSeconds - Date().timeIntervalSince1970) < 120)
                let whole = try scrape(port: port).body
                #expect(!whole.contains(TestAccount.prod.token), "never the token")

                #expect(try scrape(port: port, path: "/").status == 200)
                #expect(try scrape(port: port, path: "/metrics/extra").status == 404)
                #expect(try scrape(port: port, method: "POST").status == 405)

                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit()
                #expect(result.status == 0, "\(result)")
                #expect(throws: (any Error).self, "the port is closed on stop") { try scrape(port: port) }
            }
        }
    }

    @Test func aReloadMovesTheListenerAndABusyPortIsOnlyAnError() async throws {
        try await withDaemonHarness { h in
            h.connector(.prod, "example.com", "verified")
            let busy = try LoopbackListener()
            let path = try h.config().daemon("metrics_listen", "127.0.0.1:\(busy.port)").write(to: h.directory)

            try await h.withDaemon(configPath: path) { daemon in
                try await h.notify.waitForMessage(containing: "READY=1")
                try await daemon.waitForOutput(
                    containing: "cannot listen for metrics on 127.0.0.1:\(busy.port): Address already in use",
                    in: .stderr)
                try await h.waitForStatus(containing: "1 connector in 1 account: 1 verified")
                #expect(daemon.isRunning, "a busy metrics port does not stop the daemon")

                let port = try freeLoopbackPort()
                try h.config().daemon("metrics_listen", "127.0.0.1:\(port)").write(to: h.directory)
                let before = h.notify.received.count
                daemon.signal(SIGHUP)
                let ready = try await h.notify.waitForMessage(containing: "READY=1", after: before)
                #expect(!ready.contains("reload failed"), "\(ready)")
                let samples = try await waitForSamples(port: port, "prod's connector after the reload") { samples in
                    samples.contains {
                        $0.key.contains("domain=\"example.com\",status=\"verified\"") && $0.value == "1"
                    }
                }
                #expect(samples["ssowatch_polls_total{account=\"prod\",result=\"error\"}"] == "0")

                // Metrics off again: the listener closes.
                try h.config().write(to: h.directory)
                let again = h.notify.received.count
                daemon.signal(SIGHUP)
                try await h.notify.waitForMessage(containing: "READY=1", after: again)
                #expect(throws: (any Error).self, "metrics_listen removed: nothing listens") { try scrape(port: port) }
                #expect(daemon.isRunning)
            }
        }
    }

    @Test func twoThousandIdleConnectionsHoldUpNeitherDetectionNorSavingNorDelivery() async throws {
        let connectionCount = 2_000
        try raiseDescriptorLimit(to: connectionCount + 1_024)
        try await withDaemonHarness { h in
            let id = h.connector(.prod, "example.com", "pending")
            let port = try freeLoopbackPort()
            let config = try h.config()
                .daemon("metrics_listen", "127.0.0.1:\(port)")
                .webhook("audit", type: "generic", url: h.url(Harness.genericPath), [("events", "all")])
                .write(to: h.directory)

            try await h.withDaemon(configPath: config) { daemon in
                try await h.notify.waitForMessage(containing: "READY=1")
                try await h.waitForStatus(containing: "1 connector in 1 account: 1 pending")

                let idle = IdleConnections()
                defer { idle.closeAll() }
                // The daemon keeps at most 64 and closes the others as soon as it accepts them. Its accept
                // queue is short, and a connect finding it full waits a second for the kernel's retry: a
                // few at a time, then, each time until the daemon has taken them.
                while idle.count < connectionCount {
                    for _ in 0..<min(8, connectionCount - idle.count) { try idle.open(port: port) }
                    try await waitUntil("the daemon to close all but 64 of \(idle.count) connections") {
                        idle.closedByServer >= idle.count - 64
                    }
                }
                let kept = connectionCount - idle.closedByServer
                #expect(kept <= 64, "\(kept) idle connections kept open")

                h.set(.prod, id, "verified")
                let delivered = try await h.waitForDeliveries(to: Harness.genericPath, count: 1, successfulOnly: true)
                #expect(
                    try delivered.map { try GenericDelivery($0).description } == [
                        "connector.verified example.com pending→verified (prod)"
                    ])
                let saved = try await h.waitForStatusJSON(configPath: config, "example.com verified") {
                    $0.connector(id)?.status == "verified" && $0.outbox == 0
                }
                #expect(saved.account("prod")?.lastError == nil, "\(saved.text)")

                // The kept connections are closed once idle for 10 s; then a scrape gets through again.
                try await waitUntil("the daemon to close every idle connection", timeout: .seconds(40)) {
                    idle.closedByServer == connectionCount
                }
                let samples = try await waitForSamples(port: port, "example.com verified") { samples in
                    samples[connectorStatus(id, "example.com", "verified")] == "1"
                }
                #expect(samples["ssowatch_notifications_total{webhook=\"audit\",result=\"delivered\"}"] == "1")

                #expect(daemon.isRunning)
                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit()
                #expect(result.status == 0, "\(result)")
            }
        }
    }
}

/// `ssowatch_connector_status` of one of prod's connectors.
private func connectorStatus(_ id: String, _ domain: String, _ status: String) -> String {
    "ssowatch_connector_status{account=\"prod\",connector=\"\(id)\",domain=\"\(domain)\",status=\"\(status)\"}"
}

/// Checks `condition` every 5 ms until it holds; throws, naming `what`, when `timeout` ends first.
private func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            throw HarnessError("timed out after \(timeout) waiting for \(what)")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Scrapes until `condition` holds for the samples (`series → value`), with a deadline.
private func waitForSamples(
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

private func samples(_ text: String) -> [String: String] {
    var samples: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        samples[String(line[..<space])] = String(line[line.index(after: space)...])
    }
    return samples
}

/// A plain HTTP/1.1 exchange over a TCP socket, as a scraper makes it (`Connection: close`).
private struct ScrapeResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
}

private func scrape(port: Int, path: String = "/metrics", method: String = "GET") throws -> ScrapeResponse {
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

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

private func connectedSocket(port: Int) throws -> Int32 {
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
private final class LoopbackListener {
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
private func freeLoopbackPort() throws -> Int {
    try LoopbackListener().port
}
