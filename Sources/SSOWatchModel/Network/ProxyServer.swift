import Foundation

/// An HTTP proxy that ssowatch tunnels through with `CONNECT` (docs/CONFIGURATION.md, "Proxies and
/// private CAs"). Its user name and password are secrets: no description shows them.
public struct ProxyServer: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var host: String
    public var port: Int
    /// `user` and `password` of `http://user:password@host:port`, percent-decoded; `nil` without them.
    public var credentials: Credentials?

    /// The user name and password sent in `Proxy-Authorization: Basic`.
    public struct Credentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        public var description: String { "<proxy credentials, not shown>" }
        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: [:]) }
    }

    /// Why a text is not a proxy URL. Messages never quote the text, which may hold a password.
    public enum ParseProblem: Error, Sendable, Hashable, CustomStringConvertible {
        case unsupportedScheme(String)
        case missingHost
        case invalidPort
        case hasPath

        public var description: String {
            switch self {
            case .unsupportedScheme(let scheme):
                "its scheme `\(scheme)` is not supported (only http:// proxies, which ssowatch tunnels through "
                    + "with CONNECT)"
            case .missingHost: "it has no host; write http://HOST:PORT"
            case .invalidPort: "its port is not a number from 1 to 65535"
            case .hasPath: "it has a path, query or fragment; write http://HOST:PORT only"
            }
        }
    }

    public init(host: String, port: Int, credentials: Credentials? = nil) {
        self.host = host
        self.port = port
        self.credentials = credentials
    }

    /// Parses `http://[user:password@]host[:port][/]`, or the same without `http://` as many tools write
    /// `HTTPS_PROXY`. The port defaults to 80, the default of the `http` scheme.
    public init(parsing text: String) throws(ParseProblem) {
        var text = text.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .missingHost
        }
        guard scheme == "http" else { throw .unsupportedScheme(scheme) }
        guard let host = components.host, !host.isEmpty else { throw .missingHost }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil
        else { throw .hasPath }
        let port = components.port ?? 80
        guard (1...65_535).contains(port) else { throw .invalidPort }
        // IPv6 literals arrive as "[::1]"; connecting needs the bare address.
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var credentials: Credentials?
        if let user = components.user {
            credentials = Credentials(
                username: user.removingPercentEncoding ?? user,
                password: components.password.map { $0.removingPercentEncoding ?? $0 } ?? "")
        }
        self.init(host: bare, port: port, credentials: credentials)
    }

    /// `http://HOST:PORT`, with `(with credentials)` when it has some, never the credentials themselves.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)" + (credentials == nil ? "" : " (with credentials)")
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["proxy": description]) }
}
