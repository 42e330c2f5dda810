import Foundation
import SSOWatchModel

/// Parses HTTP `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
public enum RetryAfter {
    /// The longest delay returned: a server may ask for more (`Retry-After: 1e300`), but no wait
    /// longer than a day is useful, and unbounded ones overflow date and duration arithmetic.
    public static let maximum: TimeInterval = 86_400

    /// The delay the header asks for, in seconds (`0...maximum`), or `nil` when it is unusable.
    public static func parse(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmed(.whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 {
            return min(seconds, maximum)
        }
        return HTTPDate.parse(trimmed).map { min(max(0, $0.timeIntervalSince(now)), maximum) }
    }
}
