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

    @Test func stopClosesTheSocket() async throws {
        let server = MetricsServer(endpoint: MetricsEndpoint(host: "127.0.0.1", port: 0)) { "" }
        try server.start()
        let port = try #require(server.boundPort)
        server.stop()
        #expect(server.boundPort == nil)
        let transport = AsyncHTTPTransport()
        await #expect(throws: HTTPTransportError.self) {
            _ = try await request("GET", "/metrics", port: port, transport)
        }
        await transport.shutdown()
        // Stopped servers can be started again (a reload back to the same address).
        let again = MetricsServer(endpoint: MetricsEndpoint(host: "127.0.0.1", port: port)) { "" }
        try again.start()
        #expect(again.boundPort == port)
        again.stop()
    }
}
