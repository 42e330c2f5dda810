import Foundation

/// Parses HTTP `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
public enum RetryAfter {
    /// The delay the header asks for, in seconds (never negative), or `nil` when it is unusable.
    public static func parse(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 {
            return seconds
        }
        return HTTPDate.parse(trimmed).map { max(0, $0.timeIntervalSince(now)) }
    }
}
