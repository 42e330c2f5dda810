import Foundation
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel

/// What a webhook's answer means for the delivery (docs/NOTIFICATIONS.md).
public enum DeliveryOutcome: Sendable, Equatable {
    /// 2xx: done.
    case delivered
    /// 429: try again after this many seconds.
    case retryAfter(TimeInterval, reason: String)
    /// 408 or 5xx: try again with backoff.
    case transient(reason: String)
    /// Other 4xx, and 3xx (redirects are not followed): do not retry; show the webhook as failing.
    case permanent(reason: String)
}

/// Classifies a webhook's HTTP response per service. Pure: the delivery worker passes in what it
/// received. Reasons are one line of at most 200 characters, in the service's own words, and never
/// contain a URL (webhook URLs are secrets; anything that looks like a URL or path is redacted).
public enum ResponseClassifier {
    /// The wait after a 429 that says nothing about when to come back (ntfy, Google Chat).
    public static let defaultRetryAfter: TimeInterval = 5
    /// Shorter waits a service asks for are raised to this, so a `Retry-After: 0` cannot spin.
    public static let minimumRetryAfter: TimeInterval = 1
    /// Longer waits are capped here; `delivery_max_age` still applies.
    public static let maximumRetryAfter: TimeInterval = 86_400
    /// The longest reason kept.
    public static let reasonLimit = 200

    /// The outcome of one delivery attempt.
    /// - Parameters:
    ///   - type: the webhook type (each service words its errors and rate limits differently).
    ///   - status: the HTTP status code.
    ///   - headers: the response headers (names compared case-insensitively).
    ///   - body: the response body, possibly empty.
    ///   - now: when the response arrived, for `Retry-After` dates and reset times.
    public static func classify(
        type: WebhookType, status: Int, headers: [(String, String)], body: [UInt8], now: Date
    ) -> DeliveryOutcome {
        switch status {
        case 200..<300:
            return .delivered
        case 300..<400:
            return .permanent(reason: "HTTP \(status): redirects are not followed; check the webhook URL")
        case 429:
            let delay = retryDelay(type: type, headers: headers, body: body, now: now)
            return .retryAfter(delay, reason: reason(type: type, status: status, body: body))
        case 408, 500..<600:
            return .transient(reason: reason(type: type, status: status, body: body))
        case 400..<500:
            return .permanent(reason: reason(type: type, status: status, body: body))
        default:
            return .transient(reason: "HTTP \(status): unexpected status")
        }
    }

    /// How long a 429 asks to wait: Discord's `retry_after`, Rocket.Chat's `X-RateLimit-Reset`
    /// (epoch milliseconds), then `Retry-After` (seconds or an HTTP date); 5 s when none is given.
    static func retryDelay(type: WebhookType, headers: [(String, String)], body: [UInt8], now: Date) -> TimeInterval {
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name }?.1.trimmed(.whitespaces)
        }
        var delay: TimeInterval?
        if type == .discord, let json = jsonObject(body), let seconds = number(json["retry_after"]) {
            delay = seconds
        }
        if delay == nil, type == .rocketchat, let reset = header("x-ratelimit-reset").flatMap(Double.init) {
            delay = reset / 1000 - now.timeIntervalSince1970
        }
        if delay == nil, let value = header("retry-after") {
            delay = RetryAfter.parse(value, now: now)
        }
        guard let delay, delay.isFinite else { return defaultRetryAfter }
        return min(max(delay, minimumRetryAfter), maximumRetryAfter)
    }

    /// `HTTP 404: channel_not_found`: the status and the service's own explanation.
    static func reason(type: WebhookType, status: Int, body: [UInt8]) -> String {
        let explanation = serviceReason(type: type, body: body).map(oneLine) ?? ""
        let text = explanation.isEmpty ? statusPhrase(status) : explanation
        return Truncation.truncate("HTTP \(status): \(text)", to: reasonLimit)
    }

    /// The explanation in the form each service sends it; the body's start when it has none.
    private static func serviceReason(type: WebhookType, body: [UInt8]) -> String? {
        let json = jsonObject(body)
        let error = json?["error"]?.object
        let found: String? =
            switch type {
            case .discord: joined(string(json?["message"]), number(json?["code"]).map { "code \(Int($0))" })
            case .googleChat, .teams:
                joined(string(error?["status"]) ?? string(error?["code"]), string(error?["message"]), separator: ": ")
            case .mattermost: joined(string(json?["message"]), string(json?["id"]))
            case .rocketchat: string(json?["error"]) ?? string(json?["message"])
            case .ntfy: joined(string(json?["error"]), number(json?["code"]).map { "code \(Int($0))" })
            case .slack, .generic: nil
            }
        if let found, !found.isEmpty { return found }
        return String(decoding: body.prefix(4096), as: UTF8.self)
    }

    /// `message (detail)`, `a: b`, or whichever of the two exists.
    private static func joined(_ a: String?, _ b: String?, separator: String? = nil) -> String? {
        switch (a, b) {
        case (let a?, let b?): separator.map { a + $0 + b } ?? "\(a) (\(b))"
        case (let a?, nil): a
        case (nil, let b?): b
        case (nil, nil): nil
        }
    }

    /// One line: HTML tags dropped, whitespace collapsed, URLs, paths and query strings redacted.
    static func oneLine(_ text: String) -> String {
        var stripped = ""
        var inTag = false
        for ch in text {
            if ch == "<" {
                inTag = true
            } else if ch == ">", inTag {
                inTag = false; stripped.append(" ")
            } else if !inTag {
                stripped.append(ch)
            }
        }
        let words = stripped.split(whereSeparator: {
            $0.isWhitespace
                || $0.unicodeScalars.contains { s in
                    s.properties.generalCategory == .control
                }
        })
        return words.map { word -> String in
            let looksSecret =
                word.contains("://") || (word.hasPrefix("/") && word.count > 1)
                || (word.contains("?") && word.contains("=")) || word.lowercased().contains("token=")
            return looksSecret ? "[redacted]" : String(word)
        }.joined(separator: " ")
    }

    /// A value of a service's JSON error body, as far as the explanations need it.
    fileprivate enum Field {
        case string(String)
        case number(Double)
        /// An object's members (only at the top level and one level down, e.g. Google Chat's `error`).
        case object([String: Field])
        case other

        var object: [String: Field]? {
            if case .object(let members) = self { return members }
            return nil
        }
    }

    /// The body's members when it is a JSON object; of a repeated key the last counts.
    private static func jsonObject(_ body: [UInt8]) -> [String: Field]? {
        let members = try? JSONByteReader.read(body) { (reader) throws(JSONReadError) in
            try reader.field(depth: 0).object
        }
        return members ?? nil
    }

    private static func string(_ value: Field?) -> String? {
        guard case .string(let text)? = value, !text.isEmpty else { return nil }
        return text
    }

    /// A number, or a number written as a string.
    private static func number(_ value: Field?) -> Double? {
        switch value {
        case .number(let number)?: return number
        case .string(let text)?: return Double(text)
        default: return nil
        }
    }

    private static func statusPhrase(_ status: Int) -> String {
        let phrases = [
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 410: "Gone", 413: "Content Too Large", 415: "Unsupported Media Type",
            422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
            501: "Not Implemented",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
        ]
        return phrases[status] ?? "no explanation given"
    }
}

extension JSONByteReader {
    /// A value at `depth` (0 for the body itself); objects deeper than one level down are not kept.
    fileprivate mutating func field(depth: Int) throws(JSONReadError) -> ResponseClassifier.Field {
        switch kind() {
        case .string: return .string(try string())
        case .number:
            let raw = try rawValue()
            return (try? JSONByteReader.read(raw) { (r) throws(JSONReadError) in try r.double() }).map { .number($0) }
                ?? .other
        case .object where depth < 2:
            var members: [String: ResponseClassifier.Field] = [:]
            try object { (reader, key) throws(JSONReadError) in members[key] = try reader.field(depth: depth + 1) }
            return .object(members)
        default:
            try skipValue()
            return .other
        }
    }
}
