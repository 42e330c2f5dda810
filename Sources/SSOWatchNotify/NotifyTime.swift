import Foundation
import SSOWatchConfig
import SSOWatchModel

/// Times and durations as messages show them. Whole seconds, always UTC, computed without
/// `DateFormatter` or `Calendar`, so output never depends on the machine's locale or time zone.
enum NotifyTime {
    /// `2026-11-29T10:00:00Z`: ISO 8601 UTC without fractional seconds.
    static func iso8601(_ date: Date) -> String {
        let c = components(date)
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))Z"
    }

    /// `2026-11-29 10:00:00 UTC`, for people.
    static func human(_ date: Date) -> String {
        let c = components(date)
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second)) UTC"
    }

    /// Whole Unix seconds (rounded down).
    static func unixSeconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    /// The two largest non-zero units: `1d 2h`, `3h 5m`, `4m 10s`, `12s`, `2d`; negative is `0s`.
    static func duration(_ interval: TimeInterval) -> String {
        let total = interval.isFinite ? max(0, Int(interval.rounded(.down))) : 0
        let units: [(Int, String)] = [
            (total / 86_400, "d"), (total % 86_400 / 3600, "h"), (total % 3600 / 60, "m"), (total % 60, "s"),
        ]
        guard let first = units.firstIndex(where: { $0.0 > 0 }) else { return "0s" }
        var parts = ["\(units[first].0)\(units[first].1)"]
        if first + 1 < units.count, units[first + 1].0 > 0 {
            parts.append("\(units[first + 1].0)\(units[first + 1].1)")
        }
        return parts.joined(separator: " ")
    }

    private struct Components {
        var year, month, day, hour, minute, second: Int
    }

    private static func components(_ date: Date) -> Components {
        let seconds = unixSeconds(date)
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.from(daysSinceEpoch: days)
        return Components(
            year: year, month: month, day: day, hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60,
            second: secondOfDay % 60)
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
