import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL
import SSOWatchModel

extension AsyncHTTPTransport {
    /// A one-line reason that cannot contain the request URL (errors from the stack name the
    /// peer address at most) nor a header: AsyncHTTPClient's `invalidHeaderFieldValues` quotes the values
    /// it refused, which can be `Bearer` and the whole API token. A proxy is named without its credentials.
    static func reason(_ error: any Error, proxy: ProxyServer? = nil) -> String {
        let through = proxy.map { " (through proxy \($0))" } ?? ""
        return reasonText(error) + through
    }

    private static func reasonText(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            // Compared by their short descriptions, which carry no associated values.
            switch error.shortDescription {
            case HTTPClientError.invalidHeaderFieldValues([]).shortDescription:
                return "a request header value is not valid in HTTP (it holds a control character; not shown)"
            case HTTPClientError.invalidHeaderFieldNames([]).shortDescription:
                return "a request header name is not valid in HTTP (not shown)"
            case HTTPClientError.proxyAuthenticationRequired.shortDescription:
                return "the proxy wants credentials it was not given or refused them (HTTP 407)"
            case HTTPClientError.invalidProxyResponse.shortDescription:
                return "the proxy refused to open a tunnel (CONNECT) to the server"
            default:
                return String(describing: error).replacingOccurrences(of: "HTTPClientError.", with: "")
            }
        }
        if let error = error as? IOError { return error.description }
        if let error = error as? NIOConnectionError { return "cannot connect to \(error.host):\(error.port)" }
        if let error = error as? NIOSSLError { return tlsReason(error) }
        if let error = error as? ChannelError { return String(describing: error) }
        return String(describing: type(of: error))
    }

    /// A failed handshake, without BoringSSL's source paths; a refused certificate says what to do
    /// (docs/CONFIGURATION.md, "Proxies and private CAs").
    static func tlsReason(_ error: NIOSSLError) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED); if a proxy "
                + "inspects TLS, give its CA in ca_file"
        }
        // "… at /path/to/handshake.cc:320]" is noise for an operator.
        guard let at = text.range(of: " at /") else { return "TLS: \(text)" }
        return "TLS: " + text[..<at.lowerBound]
    }
}
