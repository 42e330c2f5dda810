import Foundation
import Testing

@testable import SSOWatchModel

/// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` and proxy URLs, from literals (docs/CONFIGURATION.md, "Proxies and
/// private CAs").
@Suite struct ProxySettingsTests {
    private static let secretURL = "http://alice:s3cr%40t@proxy.corp:3128"

    @Test func lowercaseWinsAndUppercaseCounts() throws {
        let both = try ProxySettings.resolve(environment: [
            "HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2", "HTTP_PROXY": "http://plain:3",
        ])
        #expect(both.https == ProxyServer(host: "lower", port: 2))
        #expect(both.http == ProxyServer(host: "plain", port: 3), "uppercase HTTP_PROXY counts, unlike curl")
        #expect(both.source == "https_proxy, HTTP_PROXY")
        let emptyLower = try ProxySettings.resolve(environment: ["https_proxy": "", "HTTPS_PROXY": "http://u:4"])
        #expect(emptyLower.https == ProxyServer(host: "u", port: 4), "an empty variable counts as unset")
        #expect(try ProxySettings.resolve(environment: [:]).isEmpty)
    }

    @Test func schemeSelectsTheVariable() throws {
        let settings = try ProxySettings.resolve(environment: ["HTTPS_PROXY": "proxy.corp:3128"])
        #expect(
            settings.proxy(for: "https://api.cloudflare.com/client/v4") == ProxyServer(host: "proxy.corp", port: 3128))
        #expect(settings.proxy(for: "http://127.0.0.1:8080/x") == nil, "HTTP_PROXY is not set")
    }

    @Test func daemonProxyOverridesTheVariablesButNoProxyStillApplies() throws {
        let override = ProxyServer(host: "cfg", port: 8080)
        let settings = try ProxySettings.resolve(
            environment: ["HTTPS_PROXY": "http://env:1", "HTTP_PROXY": "not a url ::", "NO_PROXY": "internal"],
            override: override)
        #expect(settings.https == override && settings.http == override)
        #expect(settings.proxy(for: "https://hooks.slack.com/x") == override)
        #expect(settings.proxy(for: "https://chat.internal/x") == nil)
        #expect(settings.source == "[daemon] proxy")
    }

    @Test(arguments: [
        ("example.com", "example.com", 443, true),
        ("example.com", "api.example.com", 443, true),
        (".example.com", "api.example.com", 443, true),
        (".example.com", "example.com", 443, true),
        ("*.example.com", "a.b.example.com", 443, true),
        ("example.com", "notexample.com", 443, false),
        ("example.com", "example.com.evil.net", 443, false),
        ("EXAMPLE.com", "Api.Example.COM.", 443, true),
        ("example.com:8443", "example.com", 8443, true),
        ("example.com:8443", "example.com", 443, false),
        ("10.1.2.3", "10.1.2.3", 80, true),
        ("10.1.2.3", "10.1.2.4", 80, false),
        ("10.0.0.0/8", "10.200.1.1", 80, true),
        ("10.0.0.0/8", "11.0.0.1", 80, false),
        ("::1", "[::1]", 80, true),
        ("[::1]:8080", "::1", 8080, true),
        ("fd00::/8", "fd12::5", 443, true),
        ("10.0.0.0/8", "ten.example", 443, false),
        ("*", "anything.at.all", 1, true),
        ("a.com, b.com ,c.com", "x.c.com", 443, true),
        ("", "example.com", 443, false),
    ])
    func noProxyMatching(list: String, host: String, port: Int, bypassed: Bool) {
        #expect(NoProxy(parsing: list).bypasses(host: host, port: port) == bypassed)
    }

    @Test func noProxyLowercaseWins() throws {
        let settings = try ProxySettings.resolve(environment: [
            "HTTPS_PROXY": "http://p:1", "NO_PROXY": "a.example", "no_proxy": "b.example",
        ])
        #expect(settings.proxy(for: "https://a.example/") != nil)
        #expect(settings.proxy(for: "https://b.example/") == nil)
    }

    @Test func proxyURLsParse() throws {
        let server = try ProxyServer(parsing: Self.secretURL)
        #expect(server.host == "proxy.corp" && server.port == 3128)
        #expect(server.credentials == .init(username: "alice", password: "s3cr@t"))
        #expect(try ProxyServer(parsing: "http://proxy.corp") == ProxyServer(host: "proxy.corp", port: 80))
        #expect(try ProxyServer(parsing: "http://[fd00::1]:3128/") == ProxyServer(host: "fd00::1", port: 3128))
        #expect(throws: ProxyServer.ParseProblem.unsupportedScheme("https")) { try ProxyServer(parsing: "https://p:1") }
        #expect(throws: ProxyServer.ParseProblem.unsupportedScheme("socks5")) {
            try ProxyServer(parsing: "socks5://p:1")
        }
        #expect(throws: ProxyServer.ParseProblem.hasPath) { try ProxyServer(parsing: "http://p:1/path") }
        #expect(throws: ProxyServer.ParseProblem.missingHost) { try ProxyServer(parsing: "http://:3128") }
    }

    @Test func credentialsAppearInNoDescription() throws {
        let server = try ProxyServer(parsing: Self.secretURL)
        let settings = ProxySettings(https: server, http: server, source: "HTTPS_PROXY")
        let network = NetworkSettings(proxy: settings)
        var dumped = ""
        dump(network, to: &dumped)
        let texts = [
            String(describing: server), String(reflecting: server), "\(settings)", String(reflecting: settings),
            "\(network)", String(reflecting: network), dumped, String(describing: server.credentials),
        ]
        for text in texts {
            #expect(!text.contains("s3cr"), "\(text)")
            #expect(!text.contains("alice"), "\(text)")
        }
        #expect(server.description == "http://proxy.corp:3128 (with credentials)")
    }

    @Test func aBadVariableIsNamedButNotQuoted() {
        #expect(throws: ProxyEnvironmentError.self) {
            try ProxySettings.resolve(environment: ["https_proxy": "socks5://bob:hunter2@p:1"])
        }
        do {
            _ = try ProxySettings.resolve(environment: ["https_proxy": "socks5://bob:hunter2@p:1"])
        } catch {
            #expect(error.description.contains("https_proxy"))
            #expect(!error.description.contains("hunter2"))
        }
    }
}
