import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `metrics_listen` in `[daemon]`: the address the Prometheus endpoint listens on.
public struct MetricsEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 or IPv6 address literal (IPv6 without brackets), or `localhost`.
    public var host: String
    /// The TCP port, 1–65535 in a configuration (0, for tests, lets the system pick one).
    public var port: Int

    /// Creates an endpoint; `host` is an address literal or `localhost`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The port used in examples and messages; any free port works.
    public static let defaultPort = 9469

    /// `127.0.0.1:9469`, `[::1]:9469`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `http://127.0.0.1:9469/metrics`, for logs and `check-config`.
    public var url: String { "http://\(description)/metrics" }

    /// The address actually bound: `localhost` is 127.0.0.1, so the listener never depends on name resolution.
    public var bindHost: String { host == "localhost" ? "127.0.0.1" : host }

    /// Whether only this machine can connect (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool { ConfigBuilder.isLoopback(host) }

    /// Why a `metrics_listen` value was refused: a sentence that can follow `metrics_listen: `.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or a bare `PORT` (which means `127.0.0.1:PORT`).
    ///
    /// HOST is an IPv4 address, an IPv6 address in brackets, or `localhost`; host names are refused
    /// because a listener should not depend on what a name resolves to.
    public static func parse(_ text: String) throws(ParseError) -> MetricsEndpoint {
        let forms = "write HOST:PORT, [IPv6]:PORT or PORT, e.g. `127.0.0.1:\(defaultPort)`"
        guard !text.isEmpty else {
            throw ParseError(reason: "the value is empty; \(forms), or remove the key to turn metrics off")
        }
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return MetricsEndpoint(host: "127.0.0.1", port: try port(text))
        }
        if text.contains("://") || text.contains("/") {
            throw ParseError(reason: "\(shown(text)) is a URL or path, not an address; \(forms)")
        }
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(reason: "\(shown(text)) has `[` without `]`; \(forms)")
            }
            host = String(text[text.index(after: text.startIndex)..<close]).lowercased()
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ParseError(reason: "\(shown(text)) has no port after `]`; \(forms)")
            }
            guard isAddress(host, family: AF_INET6) else {
                throw ParseError(reason: "`\(host.prefix(60))` in brackets is not an IPv6 address; \(forms)")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ParseError(reason: "\(shown(text)) has no port; \(forms)")
            }
            host = String(text[..<colon]).lowercased()
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ParseError(reason: "IPv6 addresses go in brackets, e.g. `[::1]:\(defaultPort)`")
            }
            if host.isEmpty {
                throw ParseError(
                    reason: "the host is empty; write `127.0.0.1:\(portText)` (this machine only) or "
                        + "`0.0.0.0:\(portText)` (every IPv4 interface)")
            }
            guard host == "localhost" || isAddress(host, family: AF_INET) else {
                throw ParseError(
                    reason: "host \(shown(host)) is not an IP address; write an IPv4 address, an IPv6 "
                        + "address in brackets, or localhost")
            }
        }
        guard !portText.isEmpty else { throw ParseError(reason: "\(shown(text)) has no port; \(forms)") }
        return MetricsEndpoint(host: host, port: try port(String(portText)))
    }

    private static func port(_ text: String) throws(ParseError) -> Int {
        guard let port = ValueParsers.integer(text) else {
            throw ParseError(reason: "the port \(shown(text)) is not a number between 1 and 65535")
        }
        guard (1...65_535).contains(port) else {
            throw ParseError(reason: "the port must be between 1 and 65535 (got \(port))")
        }
        return port
    }

    private static func isAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return text.withCString { inet_pton(family, $0, &buffer) } == 1
    }

    private static func shown(_ text: some StringProtocol) -> String { ConfigBuilder.shown(String(text)) }
}

extension ConfigBuilder {
    /// `metrics_listen`: an endpoint, with a warning when it is reachable from other machines.
    mutating func metricsListen(_ entry: INIEntry) throws(ConfigError) -> MetricsEndpoint {
        let endpoint: MetricsEndpoint
        do {
            endpoint = try MetricsEndpoint.parse(entry.value)
        } catch {
            throw self.error(entry.line, "metrics_listen: \(error.reason)")
        }
        if !endpoint.isLoopback {
            warn(
                entry.line,
                "metrics_listen \(endpoint) is not a loopback address: anyone who can reach it can read the "
                    + "account names and domains in the metrics; prefer 127.0.0.1 (with a firewall rule or a "
                    + "reverse proxy if Prometheus runs elsewhere)")
        }
        return endpoint
    }
}
