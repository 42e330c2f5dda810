import Foundation
import Synchronization
import SSOWatchTestSupport
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel
@testable import SSOWatchState

/// ``MetricsServer`` on 127.0.0.1 with a port the system picks: what each path and method answers.
@Suite struct MetricsServerTests {
    /// Runs `body` with a started server whose `/metrics` answers `body`, and the production HTTP client.
    func withServer(
        metrics text: String = "ssowatch_up 1\n", _ body: (MetricsServer, Int, AsyncHTTPTransport) async throws -> Void
    ) async throws {
        let server = MetricsServer(endpoint: MetricsEndpoint(host: "127.0.0.1", port: 0)) { text }
        try server.start()
        let transport = AsyncHTTPTransport()
        do {
            let port = try #require(server.boundPort)
            try await body(server, port, transport)
        } catch {
            await transport.shutdown()
            server.stop()
            throw error
        }
        await transport.shutdown()
        server.stop()
    }

    func request(_ method: String, _ path: String, port: Int, _ transport: AsyncHTTPTransport) async throws
        -> HTTPResponseSpec
    {
        try await transport.send(HTTPRequestSpec(method: method, url: "http://127.0.0.1:\(port)\(path)", timeout: 5))
    }

    @Test func servesMetricsAsPrometheusText() async throws {
        try await withServer(metrics: "ssowatch_outbox_events 3.0\n") { _, port, transport in
            let response = try await request("GET", "/metrics", port: port, transport)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(String(decoding: response.body, as: UTF8.self) == "ssowatch_outbox_events 3.0\n")
            let withQuery = try await request("GET", "/metrics?name[]=x", port: port, transport)
            #expect(withQuery.status == 200)
        }
    }

    @Test func answersOtherPathsAndMethods() async throws {
        try await withServer { _, port, transport in
            let root = try await request("GET", "/", port: port, transport)
            #expect(root.status == 200)
            #expect(String(decoding: root.body, as: UTF8.self).contains("href=\"/metrics\""))
            #expect(try await request("GET", "/favicon.ico", port: port, transport).status == 404)
            let post = try await request("POST", "/metrics", port: port, transport)
            #expect(post.status == 405)
            #expect(post.header("Allow") == "GET, HEAD")
            #expect(try await request("DELETE", "/", port: port, transport).status == 405)
        }
    }

    @Test func aBusyPortIsAnErrorThatSaysSo() async throws {
        try await withServer { _, port, _ in
            let second = MetricsServer(endpoint: MetricsEndpoint(host: "127.0.0.1", port: port)) { "" }
            #expect {
                try second.start()
            } throws: { error in
                Daemon.bindFailure(error) == "Address already in use"
            }
            #expect(second.boundPort == nil)
        }
    }

    @Test func stopClosesTheSocket() throws {
        let server = MetricsServer(endpoint: MetricsEndpoint(host: "127.0.0.1", port: 0)) { "" }
        try server.start()
        let port = try #require(server.boundPort)
        let listening = Self.listeningSockets(port: port)
        #expect(listening.count == 1, "one socket of this process listens on port \(port)")
        server.stop()
        #expect(server.boundPort == nil)
        // Checked by the socket's inode among this process's descriptors, not by connecting or binding
        // again: in a parallel test run another test may take the freed port at any moment.
        let open = Set((0..<Self.descriptorLimit).compactMap(Self.socketInode))
        #expect(open.isDisjoint(with: listening), "the listening socket is closed")
    }

    // MARK: What a peer can cost

    /// A started server on 127.0.0.1 with a port the system picks, stopped when `body` ends.
    func withLimitedServer(
        idleTimeout: Duration, render: @escaping @Sendable () -> String = { "ssowatch_up 1\n" },
        _ body: (MetricsServer, Int) async throws -> Void
    ) async throws {
        let server = MetricsServer(
            endpoint: MetricsEndpoint(host: "127.0.0.1", port: 0), idleTimeout: idleTimeout,
            render: render)
        try server.start()
        defer { server.stop() }
        try await body(server, try #require(server.boundPort))
    }

    @Test func theConnectionPastTheLimitIsClosedAtOnceWhileTheOthersAreServed() async throws {
        try await withLimitedServer(idleTimeout: .seconds(120)) { server, port in
            #expect(server.maxConnections == 64, "the production default")
            var open = try (0..<64).map { _ in try LoopbackSocket(port: port) }
            // The kernel completes a connect before the listener accepts it.
            try await waitUntil("the server to accept 64 connections", detail: { "\(server.connectionCounts)" }) {
                server.connectionCounts.open == 64
            }

            let extra = try LoopbackSocket(port: port)
            #expect(try await extra.waitForClose(timeout: .seconds(5)), "the 65th is closed, not left open")
            #expect(server.connectionCounts.refused == 1)
            #expect(open.allSatisfy { !$0.isClosedByPeer }, "the first 64 stay open")
            for socket in open {
                let answer = try await socket.get("/metrics")
                #expect(answer.status == 200 && answer.body == "ssowatch_up 1\n")
            }

            // A connection that closes makes room for another.
            open.removeLast()
            try await waitUntil("63 open connections", detail: { "\(server.connectionCounts)" }) {
                server.connectionCounts.open == 63
            }
            let next = try LoopbackSocket(port: port)
            #expect(try await next.get("/").status == 200)
            #expect(server.connectionCounts.refused == 1)
        }
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withLimitedServer(idleTimeout: .milliseconds(500)) { server, port in
            let opened = ContinuousClock.now
            let socket = try LoopbackSocket(port: port)
            #expect(try await socket.waitForClose(timeout: .seconds(10)), "still open 10 s after connecting")
            let lasted = ContinuousClock.now - opened
            #expect(lasted >= .milliseconds(450), "closed after \(lasted), before the 0.5 s idle timeout")
            try await waitUntil("the close to be counted", detail: { "\(server.connectionCounts)" }) {
                server.connectionCounts.open == 0
            }
            #expect(server.connectionCounts.closedIdle == 1)
        }
    }

    @Test func aPeerThatPipelinesWithoutReadingGetsNoMoreAnswersRendered() async throws {
        let body = String(repeating: "# padding\n", count: 10_000)  // 100 KB
        let renders = Mutex(0)
        let rendered = { renders.withLock { $0 } }
        try await withLimitedServer(
            idleTimeout: .seconds(120),
            render: {
                renders.withLock { $0 += 1 }
                return body
            }
        ) { server, port in
            // A small receive buffer: the kernel takes in little of the answers for the client.
            let socket = try LoopbackSocket(port: port, receiveBuffer: 65_536)
            let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let requestCount = 5_000
            let requests = Array(String(repeating: request, count: requestCount).utf8)
            var sent = 0

            // The answers the kernel can hold for a client that does not read: the server's send buffer
            // at its largest and the client's receive buffer (which Linux doubles). The server itself may
            // queue a few more, never one per request.
            let bound = (Self.largestSendBuffer + 2 * 65_536) / body.utf8.count + 10

            // Send without reading until the server holds an answer back and the socket takes no more.
            var refused = false
            try await waitUntil(
                "the server to hold an answer back for the client", timeout: .seconds(30),
                detail: { "\(rendered()) renders, \(sent / request.utf8.count) requests sent" }
            ) {
                let taken = try socket.sendAvailable(requests[sent...])
                sent += taken
                refused = taken == 0
                let stopped = server.connectionCounts.heldResponses > 0 && (refused || sent == requests.count)
                return stopped || rendered() > bound
            }
            let sentWhileNotReading = sent / request.utf8.count
            let rendersWhileNotReading = rendered()
            #expect(
                rendersWhileNotReading <= bound,
                "\(rendersWhileNotReading) answers rendered for \(sentWhileNotReading) requests never read")
            #expect(sentWhileNotReading > 10 * bound, "the client pipelined only \(sentWhileNotReading) requests")

            // Reading resumes the answers, all of them, in full.
            var answers = AnswerCounter()
            try await waitUntil(
                "all \(requestCount) answers", timeout: .seconds(120),
                detail: { "\(answers.answers) answers read, \(rendered()) renders, \(sent) bytes sent" }
            ) {
                if sent < requests.count { sent += try socket.sendAvailable(requests[sent...]) }
                // A bounded drain per check, so that this loop lets other tests run.
                for _ in 0..<16 {
                    let chunk = try socket.receiveAvailable()
                    guard !chunk.isEmpty else { break }
                    answers.consume(chunk)
                }
                return answers.answers == requestCount
            }
            #expect(answers.statuses == [200])
            #expect(answers.bodyLengths == [body.utf8.count])
            #expect(rendered() == requestCount)
        }
    }

    /// The most a TCP socket's send buffer grows to (`tcp_wmem`'s maximum; Linux's default where unreadable).
    private static let largestSendBuffer: Int = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? 4_194_304
    }()

    private static let descriptorLimit = Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 65_536))

    /// The inodes of this process's sockets that listen on 127.0.0.1:`port`.
    private static func listeningSockets(port: Int) -> Set<ino_t> {
        Set(
            (0..<descriptorLimit).compactMap { fd -> ino_t? in
                guard let inode = socketInode(fd) else { return nil }
                var listens: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listens, &size) == 0, listens == 1 else { return nil }
                var address = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let named = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
                guard named == 0, Int32(address.sin_family) == AF_INET,
                    UInt16(bigEndian: address.sin_port) == UInt16(port),
                    address.sin_addr.s_addr == inet_addr("127.0.0.1")
                else { return nil }
                return inode
            })
    }

    /// The inode of descriptor `fd` when it is an open socket.
    private static func socketInode(_ fd: Int32) -> ino_t? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else { return nil }
        return info.st_ino
    }
}
