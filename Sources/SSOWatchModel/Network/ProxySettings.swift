import Foundation

/// Which proxy, if any, each request goes through (docs/CONFIGURATION.md, "Proxies and private CAs").
public struct ProxySettings: Sendable, Hashable, CustomStringConvertible {
    /// For `https://` URLs.
    public var https: ProxyServer?
    /// For `http://` URLs.
    public var http: ProxyServer?
    /// Hosts that go direct whatever the proxies.
    public var noProxy: NoProxy
    /// Where the proxies came from, for messages: `[daemon] proxy` or the variables' names.
    public var source: String

    /// No proxy: every request goes direct.
    public init(https: ProxyServer? = nil, http: ProxyServer? = nil, noProxy: NoProxy = NoProxy(), source: String = "")
    {
        self.https = https
        self.http = http
        self.noProxy = noProxy
        self.source = source
    }

    /// Whether any request can go through a proxy.
    public var isEmpty: Bool { https == nil && http == nil }

    /// The proxy for a request to `scheme://host:port`, or `nil` to connect directly.
    public func proxy(scheme: String, host: String, port: Int) -> ProxyServer? {
        let server = scheme.lowercased() == "https" ? https : http
        guard let server, !noProxy.bypasses(host: host, port: port) else { return nil }
        return server
    }

    /// The proxy for a request to `url`, or `nil` to connect directly (also for a URL without a host).
    public func proxy(for url: String) -> ProxyServer? {
        guard !isEmpty, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { return nil }
        return proxy(scheme: scheme, host: host, port: components.port ?? (scheme == "https" ? 443 : 80))
    }

    /// One variable's value: the lowercase name wins when both are set; empty counts as unset.
    public static func variable(_ name: String, in environment: [String: String]) -> (name: String, value: String)? {
        for candidate in [name.lowercased(), name.uppercased()] {
            if let value = environment[candidate], !value.trimmingCharacters(in: .whitespaces).isEmpty {
                return (candidate, value)
            }
        }
        return nil
    }

    /// The settings from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (either case), or from `override`
    /// (`[daemon] proxy`) for both schemes, with `NO_PROXY` still applying.
    /// - Throws: the variable's name and what is wrong with its value (never the value).
    public static func resolve(
        environment: [String: String], override: ProxyServer? = nil
    ) throws(ProxyEnvironmentError) -> ProxySettings {
        let noProxy = variable("no_proxy", in: environment).map { NoProxy(parsing: $0.value) } ?? NoProxy()
        if let override {
            return ProxySettings(https: override, http: override, noProxy: noProxy, source: "[daemon] proxy")
        }
        var servers: [ProxyServer?] = []
        var names: [String] = []
        for base in ["https_proxy", "http_proxy"] {
            guard let found = variable(base, in: environment) else {
                servers.append(nil)
                continue
            }
            do {
                servers.append(try ProxyServer(parsing: found.value))
                names.append(found.name)
            } catch {
                throw ProxyEnvironmentError(variable: found.name, problem: error)
            }
        }
        return ProxySettings(
            https: servers[0], http: servers[1], noProxy: noProxy, source: names.joined(separator: ", "))
    }

    /// `https: http://proxy:3128 (from HTTPS_PROXY), …`, with no credentials.
    public var description: String {
        guard !isEmpty else { return "direct" }
        var parts: [String] = []
        if let https { parts.append("https via \(https)") }
        if let http { parts.append("http via \(http)") }
        if !noProxy.entries.isEmpty { parts.append("NO_PROXY: \(noProxy.entries.count) entries") }
        return parts.joined(separator: ", ") + " (from \(source))"
    }
}

/// A proxy variable whose value is not a proxy URL. The value is never shown: it may hold a password.
public struct ProxyEnvironmentError: Error, Sendable, Hashable, CustomStringConvertible {
    public var variable: String
    public var problem: ProxyServer.ParseProblem

    public var description: String {
        "environment variable \(variable) is not a proxy URL: \(problem) (the value is not shown)"
    }
}
