import Foundation
import SSOWatchSimulator
import Testing

/// Proxies and private CAs with the built binary (docs/CONFIGURATION.md, "Proxies and private CAs"): a
/// CONNECT proxy on loopback records what went through it.
@Suite struct ProxyTests {
    private static let proxyUser = "ops"
    private static let proxyPassword = "pr0xy-s3cret"

    @Test func apiPollsGoThroughHTTPProxyUnlessNoProxyMatches() async throws {
        try await withConnectProxy { proxy in
            try await withSimulatedSetup { setup in
                let target = "127.0.0.1:\(setup.simulator.port)"

                let proxied = try await setup.run(["poll"], environment: ["HTTP_PROXY": proxy.url])
                #expect(proxied.status == 0, "\(proxied)")
                #expect(!proxy.requests.isEmpty)
                #expect(proxy.requests.allSatisfy { $0.target == target }, "\(proxy.requests)")
                #expect(setup.simulator.requests.count == 2, "both accounts polled")

                let before = proxy.requests.count
                let direct = try await setup.run(
                    ["poll"], environment: ["http_proxy": proxy.url, "NO_PROXY": "localhost,127.0.0.1"])
                #expect(direct.status == 0, "\(direct)")
                #expect(proxy.requests.count == before, "NO_PROXY sends 127.0.0.1 direct")
                #expect(setup.simulator.requests.count == 4)
            }
        }
    }

    @Test func theDaemonPollsAndDeliversThroughTheProxyAndAReloadSwitchesToTheConfiguredOne() async throws {
        try await withConnectProxy { first in
            try await withConnectProxy { second in
                try await withDaemonRig(connectors: ["proxied.example.com"]) { rig in
                    let api = "127.0.0.1:\(rig.simulator.port)"
                    let hooks = "127.0.0.1:\(rig.receiver.port)"
                    let config = try rig.auditedConfig().write(to: rig.directory)
                    try await rig.withDaemon(config, environment: ["HTTP_PROXY": first.url]) { daemon in
                        try await rig.waitForStatus(containing: "1 pending")
                        rig.set(.prod, rig.connectorIDs[0], "verified")
                        try await rig.waitForDeliveries(to: DaemonRig.genericPath, count: 1, successfulOnly: true)
                        #expect(Set(first.requests.map(\.target)) == [api, hooks], "\(first.requests)")
                        #expect(second.requests.isEmpty)

                        try await rig.reload(daemon, with: rig.auditedConfig([("proxy", second.url)]))
                        try await rig.waitForMorePolls(.prod, count: 2)
                        #expect(second.requests.map(\.target).contains(api), "\(second.requests)")
                    }
                }
            }
        }
    }

    @Test func daemonProxyKeyOverridesTheVariablesAndItsPasswordIsNeverShown() async throws {
        let credentials = Data("\(Self.proxyUser):\(Self.proxyPassword)".utf8).base64EncodedString()
        try await withConnectProxy(requiredAuthorization: "Basic \(credentials)") { proxy in
            try await withReceiver { receiver in
                try await withTemporaryDirectory(prefix: "ssowatch-proxy") { directory in
                    let path = try ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                        .daemon("proxy", "http://\(Self.proxyUser):\(Self.proxyPassword)@127.0.0.1:\(proxy.port)")
                        .account(TestAccount.prod.name, id: TestAccount.prod.id, token: TestAccount.prod.token)
                        .webhook("chat", type: "slack", url: receiver.url(path: "/services/T0/B0/x"))
                        .write(to: directory)
                    // A dead proxy in the variables: the key must win.
                    let dead = ["HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"]

                    let sent = try await runSSOWatch(["test-notify", "--config", path], environment: dead)
                    #expect(sent.status == 0, "\(sent)")
                    #expect(receiver.receivedCount == 1)
                    #expect(proxy.requests.map(\.target) == ["127.0.0.1:\(receiver.port)"])
                    #expect(proxy.requests.first?.authorization == "Basic \(credentials)")

                    let wrong = try ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                        .daemon("proxy", "http://\(Self.proxyUser):wrong-\(Self.proxyPassword)@127.0.0.1:\(proxy.port)")
                        .account(TestAccount.prod.name, id: TestAccount.prod.id, token: TestAccount.prod.token)
                        .webhook("chat", type: "slack", url: receiver.url(path: "/services/T0/B0/x"))
                        .write(to: directory, name: "wrong.ini")
                    let refused = try await runSSOWatch(["test-notify", "--config", wrong])
                    #expect(refused.status == 69, "\(refused)")
                    #expect(refused.stdout.contains("HTTP 407"), "\(refused)")
                    #expect(
                        refused.stdout.contains("(through proxy http://127.0.0.1:\(proxy.port) (with credentials))"),
                        "\(refused)")
                    #expect(receiver.receivedCount == 1)

                    let checked = try await runSSOWatch(["check-config", "--config", path], environment: dead)
                    #expect(checked.status == 0, "\(checked)")
                    #expect(
                        checked.stdout.contains(
                            "https via http://127.0.0.1:\(proxy.port) (with credentials), http via "
                                + "http://127.0.0.1:\(proxy.port) (with credentials) (from [daemon] proxy)"),
                        "\(checked)")
                    for output in [
                        sent.stdout, sent.stderr, checked.stdout, checked.stderr, refused.stdout, refused.stderr,
                    ] {
                        #expect(!output.contains(Self.proxyPassword), "\(output)")
                    }
                }
            }
        }
    }

    @Test func anUnreachableProxyIsNamedWithoutItsCredentials() async throws {
        try await withReceiver { receiver in
            try await withTemporaryDirectory(prefix: "ssowatch-proxy") { directory in
                let path = try ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                    .account(TestAccount.prod.name, id: TestAccount.prod.id, token: TestAccount.prod.token)
                    .webhook("chat", type: "slack", url: receiver.url(path: "/services/T0/B0/x"))
                    .write(to: directory)
                let result = try await runSSOWatch(
                    ["test-notify", "--config", path], environment: ["http_proxy": "http://ops:hunter2@127.0.0.1:9"])
                #expect(result.status == 69, "\(result)")
                #expect(
                    result.stdout.contains(
                        "cannot connect to 127.0.0.1:9 (through proxy http://127.0.0.1:9 (with credentials))"),
                    "\(result)")
                #expect(!result.stdout.contains("hunter2") && !result.stderr.contains("hunter2"))
                #expect(receiver.receivedCount == 0)
            }
        }
    }

    @Test func aPrivateCAIsTrustedOnlyThroughCAFile() async throws {
        try await withConnectProxy { proxy in
            try await withTLSServer { server in
                try await withTemporaryDirectory(prefix: "ssowatch-ca") { directory in
                    let base = ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                        .account(TestAccount.prod.name, id: TestAccount.prod.id, token: TestAccount.prod.token)
                        .webhook("chat", type: "slack", url: "https://127.0.0.1:\(server.port)/services/T0/B0/x")
                    let untrusted = try base.write(to: directory, name: "untrusted.ini")
                    let trusted = try base.daemon("ca_file", TLSTestServer.caFile).write(to: directory, name: "ca.ini")
                    let environment = ["HTTPS_PROXY": proxy.url]

                    let refused = try await runSSOWatch(
                        ["test-notify", "--config", untrusted], environment: environment)
                    #expect(refused.status == 69, "\(refused)")
                    #expect(refused.stdout.contains("TLS: the server's certificate is not trusted"), "\(refused)")
                    #expect(refused.stdout.contains("give its CA in ca_file"), "\(refused)")
                    #expect(refused.stdout.contains("(through proxy \(proxy.url))"), "\(refused)")
                    #expect(server.count == 0)

                    let accepted = try await runSSOWatch(
                        ["test-notify", "--config", trusted], environment: environment)
                    #expect(accepted.status == 0, "\(accepted)")
                    #expect(server.count == 1)
                    #expect(proxy.requests.map(\.target) == Array(repeating: "127.0.0.1:\(server.port)", count: 2))
                }
            }
        }
    }

    @Test func anInvalidCAFileIsAConfigError() async throws {
        try await withTemporaryDirectory(prefix: "ssowatch-ca") { directory in
            try directory.write("ca.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", mode: 0o644)
            let path = try ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                .daemon("ca_file", directory.path("ca.pem"))
                .account(TestAccount.prod.name, id: TestAccount.prod.id, token: TestAccount.prod.token)
                .write(to: directory)
            let result = try await runSSOWatch(["check-config", "--config", path])
            #expect(result.status == 78, "\(result)")
            #expect(result.stderr.contains("\(path):"), "\(result)")
            #expect(
                result.stderr.contains("ca_file \(directory.path("ca.pem")) line 1: a PRIVATE KEY block"), "\(result)")
        }
    }
}

/// Runs `body` with a started `ConnectProxy`, stopped afterwards.
func withConnectProxy<T>(
    requiredAuthorization: String? = nil, _ body: (ConnectProxy) async throws -> T
) async throws -> T {
    let proxy = ConnectProxy(requiredAuthorization: requiredAuthorization)
    try await proxy.start()
    do {
        let result = try await body(proxy)
        try await proxy.stop()
        return result
    } catch {
        try? await proxy.stop()
        throw error
    }
}
