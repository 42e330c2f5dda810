import Foundation
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel

/// One item of an envelope's `errors` (or `messages`) array. Extra keys are tolerated.
public struct CloudflareMessage: Sendable, Equatable {
    public var code: Int?
    public var message: String
    /// Nested causes (`error_chain`), flattened.
    public var chain: [CloudflareMessage]

    /// Creates a message.
    public init(code: Int?, message: String, chain: [CloudflareMessage] = []) {
        self.code = code
        self.message = message
        self.chain = chain
    }

    /// `10000 Authentication error` (with the chain in parentheses).
    public var summary: String {
        var text = code.map { "\($0) \(message)" } ?? message
        if !chain.isEmpty {
            text += " (" + chain.map(\.summary).joined(separator: "; ") + ")"
        }
        return text
    }
}

/// The values of Cloudflare's `Ratelimit` header: `"default";r=<remaining>;t=<seconds to reset>`.
public struct RateLimitStatus: Sendable, Equatable {
    public var remaining: Int
    public var resetSeconds: Int

    /// Parses the header; `nil` when it has neither `r=` nor `t=`.
    public init?(header: String) {
        var remaining: Int?
        var reset: Int?
        for part in header.split(separator: ";") {
            // `trimmed` rather than Foundation's trimming: this runs on every poll.
            let pair = part.trimmed(.whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "r": remaining = Int(pair[1])
            case "t": reset = Int(pair[1])
            default: continue
            }
        }
        guard let remaining, let reset else { return nil }
        self.remaining = remaining
        self.resetSeconds = reset
    }
}

/// Everything that can go wrong talking to the Cloudflare API. Descriptions name the operation,
/// the HTTP status and Cloudflare's codes and messages, and never the token.
public struct CloudflareAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this was.
    public enum Kind: Sendable, Equatable {
        /// No HTTP response (connection, timeout).
        case transport(String)
        /// A response with a non-2xx status.
        case http
        /// A 2xx response whose envelope said `success: false`.
        case unsuccessful
        /// A response that was not the JSON envelope expected.
        case undecodable(String)
    }

    public var kind: Kind
    /// e.g. `GET /accounts/023e…/sso_connectors`.
    public var operation: String
    /// The HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// Cloudflare's `errors`, when the body was an envelope.
    public var errors: [CloudflareMessage]
    /// `Retry-After`, in seconds, when given.
    public var retryAfter: TimeInterval?
    /// The `Ratelimit` header, when given.
    public var rateLimit: RateLimitStatus?

    /// Creates an error.
    public init(
        kind: Kind, operation: String, httpStatus: Int? = nil, errors: [CloudflareMessage] = [],
        retryAfter: TimeInterval? = nil, rateLimit: RateLimitStatus? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.httpStatus = httpStatus
        self.errors = errors
        self.retryAfter = retryAfter
        self.rateLimit = rateLimit
    }

    /// Whether retrying later can help: transport failures, 408, 409, 429, 5xx and bodies that
    /// could not be understood (Cloudflare's edge answers 5xx with HTML).
    public var isTransient: Bool {
        switch kind {
        case .transport, .undecodable: return true
        case .http, .unsuccessful:
            guard let status = httpStatus else { return true }
            return status == 408 || status == 409 || status == 429 || status >= 500
        }
    }

    /// Whether the token is being rate limited.
    public var isRateLimited: Bool { httpStatus == 429 || errors.contains { $0.code == 971 } }

    /// A short form for `STATUS=` and `status`: `HTTP 403`, `timeout`, `HTTP 502`.
    public var shortDescription: String {
        switch kind {
        case .transport(let reason): return reason.contains("no response") ? "timeout" : "unreachable"
        case .undecodable: return httpStatus.map { "HTTP \($0), unreadable body" } ?? "unreadable body"
        case .http, .unsuccessful:
            let code = errors.first?.code.map { " (\($0))" } ?? ""
            return "HTTP \(httpStatus ?? 0)\(code)"
        }
    }

    public var description: String { "\(operation): \(reason)" }

    /// The description without the request line: what went wrong and what to do, e.g.
    /// `HTTP 403: Cloudflare error 10000 Authentication error — check the API token; …`. An
    /// account's `last_error` uses it, so the `STATUS=` line, which shortens errors, starts with
    /// the reason rather than the account's URL.
    public var reason: String {
        var text = ""
        switch kind {
        case .transport(let reason): text += reason
        case .undecodable(let reason): text += "HTTP \(httpStatus.map(String.init) ?? "?"): \(reason)"
        case .http, .unsuccessful:
            text += "HTTP \(httpStatus.map(String.init) ?? "?")"
            if kind == .unsuccessful { text += " with success: false" }
            if errors.isEmpty {
                text += ", no error details"
            } else {
                text += ": " + errors.map { "Cloudflare error \($0.summary)" }.joined(separator: "; ")
            }
        }
        if let hint { text += " — \(hint)" }
        return text
    }

    /// What the operator should do, when ssowatch can tell.
    public var hint: String? {
        switch httpStatus {
        case 401, 403:
            let write = !operation.hasPrefix("GET ")
            return write
                ? "check the API token; it needs the \"SSO Connector Write\" (Edit) permission on this account"
                : "check the API token; it needs the \"SSO Connector Read\" permission on this account"
        case 429:
            let wait = retryAfter.map { " (Cloudflare asked to wait \(formatSeconds($0.rounded(.up))))" } ?? ""
            return "rate limited\(wait); the token's request budget is shared with everything else using it"
        default:
            return nil
        }
    }
}
