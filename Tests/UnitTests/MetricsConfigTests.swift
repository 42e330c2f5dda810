import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchNotify
@testable import SSOWatchState

/// `[daemon] metrics_listen`: the forms it accepts, the warning for a non-loopback address, and the
/// `PATH:LINE` errors for everything else.
@Suite struct MetricsConfigTests {
    /// `[daemon]` with `metrics_listen = value` on line 2, then an account.
    static func lines(_ value: String) -> [String] {
        ["[daemon]", "metrics_listen = \(value)"] + ConfigFixture.account
    }

    struct Valid: Sendable, CustomTestStringConvertible {
        var value: String
        var host: String
        var port: Int
        var shown: String
        var loopback = true
        var testDescription: String { value }
    }

    static let valid: [Valid] = [
        Valid(value: "127.0.0.1:9469", host: "127.0.0.1", port: 9469, shown: "127.0.0.1:9469"),
        Valid(value: "9469", host: "127.0.0.1", port: 9469, shown: "127.0.0.1:9469"),
        Valid(value: "1", host: "127.0.0.1", port: 1, shown: "127.0.0.1:1"),
        Valid(value: "127.0.0.2:65535", host: "127.0.0.2", port: 65_535, shown: "127.0.0.2:65535"),
        Valid(value: "[::1]:9469", host: "::1", port: 9469, shown: "[::1]:9469"),
        Valid(value: "LocalHost:9100", host: "localhost", port: 9100, shown: "localhost:9100"),
        Valid(value: "0.0.0.0:9469", host: "0.0.0.0", port: 9469, shown: "0.0.0.0:9469", loopback: false),
        Valid(value: "192.0.2.10:80", host: "192.0.2.10", port: 80, shown: "192.0.2.10:80", loopback: false),
        Valid(value: "[::]:9469", host: "::", port: 9469, shown: "[::]:9469", loopback: false),
        Valid(
            value: "[2001:DB8::1]:9469", host: "2001:db8::1", port: 9469, shown: "[2001:db8::1]:9469", loopback: false),
    ]

    @Test(arguments: valid) func acceptedForms(_ form: Valid) throws {
        let config = try ConfigFixture.parse(Self.lines(form.value))
        let endpoint = try #require(config.daemon.metricsListen)
        #expect(endpoint.host == form.host)
        #expect(endpoint.port == form.port)
        #expect(endpoint.description == form.shown)
        #expect(endpoint.url == "http://\(form.shown)/metrics")
        let warnings = config.warnings.filter { $0.message.contains("metrics_listen") }
        if form.loopback {
            #expect(warnings.isEmpty, "\(warnings)")
        } else {
            let warning = try #require(warnings.first, "a non-loopback address is worth a warning")
            #expect(
                warning.description
                    == "\(ConfigFixture.path):2: warning: metrics_listen \(form.shown) is not a loopback address: "
                    + "anyone who can reach it can read the account names and domains in the metrics; prefer "
                    + "127.0.0.1 (with a firewall rule or a reverse proxy if Prometheus runs elsewhere)")
        }
    }

    @Test func offByDefault() throws {
        let config = try ConfigFixture.parse(ConfigFixture.account)
        #expect(config.daemon.metricsListen == nil)
        #expect(DaemonConfig.defaults(environment: [:]).metricsListen == nil)
        #expect(!ConfigSummary.render(config).contains("metrics"))
    }

    @Test func localhostBindsTheIPv4Loopback() throws {
        let endpoint = try MetricsEndpoint.parse("localhost:9469")
        #expect(endpoint.bindHost == "127.0.0.1")
        #expect(endpoint.isLoopback)
        #expect(try MetricsEndpoint.parse("[::1]:1").bindHost == "::1")
    }

    @Test func checkConfigShowsTheURL() throws {
        let summary = ConfigSummary.render(try ConfigFixture.parse(Self.lines("127.0.0.1:9469")))
        #expect(summary.contains("  metrics                  http://127.0.0.1:9469/metrics\n"), "\(summary)")
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var value: String
        var message: String
        var testDescription: String { value }
    }

    static let forms = "write HOST:PORT, [IPv6]:PORT or PORT, e.g. `127.0.0.1:9469`"
    static let invalid: [Invalid] = [
        Invalid(value: "127.0.0.1", message: "`127.0.0.1` has no port; \(forms)"),
        Invalid(value: "127.0.0.1:0", message: "the port must be between 1 and 65535 (got 0)"),
        Invalid(value: "127.0.0.1:65536", message: "the port must be between 1 and 65535 (got 65536)"),
        Invalid(value: "0", message: "the port must be between 1 and 65535 (got 0)"),
        Invalid(value: "99999", message: "the port must be between 1 and 65535 (got 99999)"),
        Invalid(value: "127.0.0.1:http", message: "the port `http` is not a number between 1 and 65535"),
        Invalid(value: "127.0.0.1:-1", message: "the port `-1` is not a number between 1 and 65535"),
        Invalid(value: "", message: "the value is empty; \(forms), or remove the key to turn metrics off"),
        Invalid(value: "[::1]:", message: "`[::1]:` has no port; \(forms)"),
        Invalid(value: "127.0.0.1:", message: "`127.0.0.1:` has no port; \(forms)"),
        Invalid(value: "::1:9469", message: "IPv6 addresses go in brackets, e.g. `[::1]:9469`"),
        Invalid(value: "[::1]9469", message: "`[::1]9469` has no port after `]`; \(forms)"),
        Invalid(value: "[::1:9469", message: "`[::1:9469` has `[` without `]`; \(forms)"),
        Invalid(value: "[127.0.0.1]:9469", message: "`127.0.0.1` in brackets is not an IPv6 address; \(forms)"),
        Invalid(
            value: ":9469",
            message: "the host is empty; write `127.0.0.1:9469` (this machine only) or `0.0.0.0:9469` "
                + "(every IPv4 interface)"),
        Invalid(
            value: "metrics.example.com:9469",
            message: "host `metrics.example.com` is not an IP address; write an IPv4 address, an IPv6 address "
                + "in brackets, or localhost"),
        Invalid(
            value: "256.0.0.1:9469",
            message: "host `256.0.0.1` is not an IP address; write an IPv4 address, an IPv6 address in brackets, "
                + "or localhost"),
        Invalid(
            value: "http://127.0.0.1:9469/metrics",
            message: "`http://127.0.0.1:9469/metrics` is a URL or path, not an address; \(forms)"),
    ]

    @Test(arguments: invalid) func refusedForms(_ form: Invalid) throws {
        let error = try #require(ConfigFixture.error(Self.lines(form.value)), "`\(form.value)` must be refused")
        #expect(error.line == 2)
        #expect(
            error.description.hasPrefix("\(ConfigFixture.path):2: metrics_listen: \(form.message)"),
            "\(error.description)")
    }

    @Test func onlyInTheDaemonSection() throws {
        let error = try #require(ConfigFixture.error(ConfigFixture.account + ["metrics_listen = 9469"]))
        #expect(
            error.description
                == "\(ConfigFixture.path):3: `metrics_listen` is not valid in [account \"prod\"]; "
                + "it belongs in [daemon]")
    }

    @Test func givenOnce() throws {
        let error = try #require(
            ConfigFixture.error(["[daemon]", "metrics_listen = 9469", "metrics_listen = 9470"] + ConfigFixture.account))
        #expect(error.line == 3)
        #expect(error.message.contains("duplicate key `metrics_listen`"), "\(error)")
    }

    @Test func typoGetsAHint() throws {
        let error = try #require(ConfigFixture.error(["[daemon]", "metric_listen = 9469"] + ConfigFixture.account))
        #expect(error.line == 2)
        #expect(error.message.contains("did you mean `metrics_listen`?"), "\(error)")
    }
}
