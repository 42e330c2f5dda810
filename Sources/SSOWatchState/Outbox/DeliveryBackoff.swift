import Foundation
import SSOWatchConfig

/// How long to wait before retrying a delivery that failed transiently (5xx, timeout, connection
/// error; docs/NOTIFICATIONS.md): 1 s after the first failure, doubling with each further failure, spread by
/// ±20 % jitter, and never more than 5 minutes.
///
/// | failed attempts | 1 | 2 | 3 | 4 | … | 9 | 10+ |
/// |---|---|---|---|---|---|---|---|
/// | base delay (s) | 1 | 2 | 4 | 8 | … | 256 | 300 (cap) |
///
/// The jitter keeps many queued webhooks from retrying in lock-step; the cap applies after it, so
/// no wait exceeds 300 s.
public enum DeliveryBackoff {
    /// The delay after the first failure.
    public static let initial: TimeInterval = 1
    /// The longest delay.
    public static let maximum: TimeInterval = 300
    /// The relative spread: a delay is `base × (1 ± jitter)`.
    public static let jitter = 0.2

    /// The delay before the next attempt.
    /// - Parameters:
    ///   - attempt: failed attempts so far, 1 for the first failure (values below 1 count as 1).
    ///   - random: a number in `0...1` (`0.5` is no jitter, `0` is −20 %, `1` is +20 %); out of range
    ///     values are clamped. Pass `Double.random(in: 0...1)`; tests pass literals.
    public static func delay(attempt: Int, random: Double) -> TimeInterval {
        // Past 2^9 the base is over the cap anyway; clamping the exponent avoids overflow.
        let exponent = min(max(attempt, 1) - 1, 16)
        let base = min(initial * Double(1 << exponent), maximum)
        let spread = 1 + jitter * (2 * min(max(random, 0), 1) - 1)
        return min(base * spread, maximum)
    }
}
