import Foundation

/// `[daemon] ha_postgres_url` (docs/HA.md): where an active/passive pair keeps its shared state.
///
/// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require]` (`postgres://` too). The
/// whole URL is a secret (it may carry the password): messages and logs show only `display`.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    /// The password, percent-decoded; `nil` when the URL has none (trust or peer authentication).
    public var password: Secret?
    public var host: String
    public var port: Int
    public var database: String
    /// `sslmode=require`: TLS with the server's certificate checked against the system's CAs.
    public var requireTLS: Bool

    /// What may be shown: `HOST:PORT/DATABASE`.
    public var display: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(shownHost):\(port)/\(database)"
    }

    public var description: String { display }

    /// Parses `text`; the error says what is wrong without quoting the URL.
    public static func parse(_ text: String) -> Result<PostgresURL, ParseError> {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return .failure(.init("it is not a URL"))
        }
        guard scheme == "postgresql" || scheme == "postgres" else {
            return .failure(.init("its scheme is not postgresql://"))
        }
        guard let host = components.host, !host.isEmpty else { return .failure(.init("it names no host")) }
        guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            return .failure(.init("it names no user (postgresql://USER@HOST/DB)"))
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { return .failure(.init("its port is not 1-65535")) }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        guard let database = path.removingPercentEncoding, !database.isEmpty, !database.contains("/") else {
            return .failure(.init("it names no database (postgresql://USER@HOST/DB)"))
        }
        var requireTLS = false
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"): requireTLS = false
            case ("sslmode", "require"), ("sslmode", "verify-full"): requireTLS = true
            case ("sslmode", _): return .failure(.init("sslmode must be disable, require or verify-full"))
            default: return .failure(.init("it has the parameter \"\(item.name)\"; only sslmode is understood"))
            }
        }
        let password = components.password.flatMap { $0.removingPercentEncoding }.map {
            Secret($0, source: "ha_postgres_url")
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return .success(
            PostgresURL(
                user: user, password: password, host: bareHost, port: port, database: database,
                requireTLS: requireTLS))
    }

    /// Why a `ha_postgres_url` was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
