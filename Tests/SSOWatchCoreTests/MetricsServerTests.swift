import Foundation
import Testing

@testable import SSOWatchCore

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
