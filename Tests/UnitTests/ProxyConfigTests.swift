import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchModel

/// `[daemon] proxy*`, `ca_file` and the proxy variables as the loader reads them (docs/CONFIGURATION.md,
/// "Proxies and private CAs").
@Suite struct ProxyConfigTests {
    private static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBgTCCASegAwIBAgIUQ0LmRM1BnXqPHXB4WIb6AXQ4uUIwCgYIKoZIzj0EAwIw
        -----END CERTIFICATE-----
        """

    private func daemon(
        _ lines: [String], environment: [String: String] = ConfigFixture.environment,
        files: [String: String] = [:]
    ) throws(ConfigError) -> DaemonConfig {
        try ConfigFixture.parse(
            ["[daemon]"] + lines + ConfigFixture.account, environment: environment,
            files: InMemoryConfigFileSystem(files)
        ).daemon
    }

    @Test func proxyKeyOverridesTheVariables() throws {
        var environment = ConfigFixture.environment
        environment["HTTPS_PROXY"] = "http://env-proxy:1"
        environment["no_proxy"] = ".internal"
        let network = try daemon(["proxy = http://user:pa55@cfg-proxy:3128"], environment: environment).network
        let expected = ProxyServer(
            host: "cfg-proxy", port: 3128, credentials: .init(username: "user", password: "pa55"))
        #expect(network.proxy.https == expected && network.proxy.http == expected)
        #expect(network.proxy.proxy(for: "https://hooks.internal/x") == nil)
    }

    @Test func variablesApplyWithoutADaemonSection() throws {
        var environment = ConfigFixture.environment
        environment["http_proxy"] = "127.0.0.1:3128"
        let configuration = try ConfigFixture.parse(ConfigFixture.account, environment: environment)
        #expect(configuration.daemon.network.proxy.http == ProxyServer(host: "127.0.0.1", port: 3128))
        #expect(configuration.daemon.network.proxy.https == nil)
    }

    @Test func proxyFromAFileIsASecret() throws {
        let network = try daemon(
            ["proxy_file = /run/proxy"], files: ["/run/proxy": "http://u:topsecret@p.corp:8080\n"]
        ).network
        #expect(network.proxy.https?.credentials?.password == "topsecret")
    }

    @Test(arguments: [
        (["proxy = https://u:hunter2@p:1"], 2, "`proxy` is not a proxy URL: its scheme `https` is not supported"),
        (["proxy = http://u:hunter2@p:1/x"], 2, "has a path"),
        (["proxy = http://p:1", "proxy_env = P"], 3, "both give proxy"),
        (["ca_file = /etc/ssl/missing.pem"], 2, "cannot read ca_file /etc/ssl/missing.pem"),
        (["ca_file = /etc/ssl/key.pem"], 2, "ca_file /etc/ssl/key.pem line 1: a PRIVATE KEY block"),
        (["ca_file = /etc/ssl/empty.pem"], 2, "ca_file /etc/ssl/empty.pem holds no certificate"),
        (["ca_file = /etc/ssl/cut.pem"], 2, "ca_file /etc/ssl/cut.pem line 1: the CERTIFICATE block has no END line"),
        (["ca_file = /etc/ssl/bad.pem"], 2, "line 1: the CERTIFICATE block is not valid base64 DER"),
    ])
    func invalidKeysAreConfigErrors(lines: [String], line: Int, fragment: String) throws {
        let files = InMemoryConfigFileSystem([
            "/etc/ssl/key.pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "/etc/ssl/empty.pem": "nothing here\n",
            "/etc/ssl/cut.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n",
            "/etc/ssl/bad.pem": "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        ])
        let error = try #require(
            ConfigFixture.error(
                ["[daemon]"] + lines + ConfigFixture.account,
                environment: [
                    "P": "http://p:2",
                    "CLOUDFLARE_API_TOKEN": ConfigFixture.environmentToken,
                ], files: files))
        #expect(error.line == line, "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
        #expect(!error.description.contains("hunter2"))
    }

    @Test func aBadVariableIsAConfigErrorThatNamesIt() throws {
        var environment = ConfigFixture.environment
        environment["HTTPS_PROXY"] = "ftp://bob:hunter2@p:1"
        let error = try #require(
            ConfigFixture.error(
                ["[daemon]", "log_level = info"] + ConfigFixture.account,
                environment: environment))
        #expect(error.line == 1)
        #expect(error.message.contains("environment variable HTTPS_PROXY is not a proxy URL"), "\(error)")
        #expect(!error.description.contains("hunter2"))
        environment["HTTPS_PROXY"] = nil
        environment["https_proxy"] = "http://fine:1"
        #expect(ConfigFixture.error(ConfigFixture.account, environment: environment) == nil)
    }

    @Test func caFileIsReadRelativeToTheConfiguration() throws {
        let network = try daemon(["ca_file = corp-ca.pem"], files: ["/etc/ssowatch/corp-ca.pem": Self.certificate])
            .network
        #expect(network.caFile == "/etc/ssowatch/corp-ca.pem")
        #expect(network.caPEM == Array(Self.certificate.utf8))
    }
}
