import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchState
/// A misbehaviour the simulated Cloudflare API shows instead of (or before) its normal answer.
///
/// Faults are queued with `CloudflareSimulator.injectFault(_:times:accountID:)` and consumed in order by
/// the requests they match.
public enum Fault: Sendable {
    /// Any status with a literal body, content type and extra headers.
    case httpStatus(Int, body: String = "", contentType: String = "application/json", headers: [(String, String)] = [])
    /// An HTML error page such as the one Cloudflare's edge serves for a 502.
    case htmlError(Int)
    /// HTTP 429 with error 971, and `Retry-After` when `retryAfter` is given (seconds).
    case rateLimited(retryAfter: Int?)
    /// Answers normally, but only after `seconds` (the answer is decided on arrival; the connection is busy
    /// meanwhile, so a client's timeout can be tested).
    case slow(seconds: Double)
    /// HTTP 200 whose `application/json` body is cut off mid-way.
    case malformedJSON
    /// A well-formed failure envelope (`success: false`) with one error, sent with `status`.
    case successFalse(code: Int, message: String, status: Int = 200)
    /// Closes the connection without answering.
    case dropConnection
    /// HTTP 200 with valid JSON that is not a Cloudflare envelope.
    case notEnvelope
    /// The normal answer's head, then silence: the body never comes and the connection stays open.
    case headThenSilence
}

extension Fault {
    /// The response for every fault except `.slow`, `.dropConnection` and `.headThenSilence`, which
    /// change how the normal answer is delivered instead.
    func response(rateLimitHeaders: [(String, String)]) -> ServerResponse? {
        let json = ("Content-Type", "application/json")
        switch self {
        case .httpStatus(let status, let body, let contentType, let headers):
            return ServerResponse(
                status: status, headers: [("Content-Type", contentType)] + rateLimitHeaders + headers, body: body)
        case .htmlError(let status):
            let title = "\(status) \(Self.reason(status))"
            let body =
                "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>"
                + "\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
            return ServerResponse(
                status: status, headers: [("Content-Type", "text/html"), ("Server", "cloudflare")], body: body)
        case .rateLimited(let retryAfter):
            var headers =
                [json, ("Ratelimit", "\"default\";r=0;t=\(retryAfter ?? 300)")]
                + rateLimitHeaders.filter { $0.0 != "Ratelimit" }
            if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
            let body = JSONText.failure([
                JSONText.errorItem(code: 971, message: "Please wait and consider throttling your request speed")
            ])
            return ServerResponse(status: 429, headers: headers, body: body)
        case .malformedJSON:
            return ServerResponse(
                status: 200, headers: [json] + rateLimitHeaders,
                body: "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":[{\"id\":\"023e105f4ecef8ad")
        case .successFalse(let code, let message, let status):
            return ServerResponse(
                status: status, headers: [json] + rateLimitHeaders,
                body: JSONText.failure([JSONText.errorItem(code: code, message: message)]))
        case .notEnvelope:
            return ServerResponse(
                status: 200, headers: [json] + rateLimitHeaders,
                body: "{\"status\":\"ok\",\"data\":[{\"name\":\"not a Cloudflare envelope\"}]}")
        case .slow, .dropConnection, .headThenSilence:
            return nil
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Temporarily Unavailable"
        case 504: "Gateway Time-out"
        case 520: "Web Server Returned an Unknown Error"
        case 522: "Connection Timed Out"
        default: "Error"
        }
    }
}

/// A queued fault with how many more requests it applies to.
struct FaultEntry {
    var fault: Fault
    var remaining: Int
    var accountID: String?
}
