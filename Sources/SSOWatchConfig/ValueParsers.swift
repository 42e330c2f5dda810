import Foundation
import SSOWatchModel

/// Pure parsers for the value syntaxes of docs/CONFIGURATION.md (durations, booleans, lists, percentages, rate
/// limits), and the matching formatters used by `check-config`. Each parser returns `nil` when the
/// text is not in its syntax; range checks belong to the caller, which knows the key.
public enum ValueParsers {
    /// The longest duration accepted, so that arithmetic on it can never overflow (about 100 years).
    public static let maximumDuration: TimeInterval = 100 * 365 * 86_400

    private static let unitSeconds: [Character: Int] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
    private static let unitOrder: [Character] = ["d", "h", "m", "s"]

    /// Parses a duration: `45s`, `5m`, `2h`, `1h30m`, `1d`, `1d12h`, or a bare number of seconds (`90`).
    ///
    /// Units must appear largest first and at most once each; numbers are whole. Returns seconds, or
    /// `nil` for anything else (including values longer than ``maximumDuration``).
    public static func duration(_ text: String) -> TimeInterval? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) }) else { return nil }
        if text.allSatisfy(\.isNumber) {
            guard let seconds = Int(text), Double(seconds) <= maximumDuration else { return nil }
            return TimeInterval(seconds)
        }
        var total = 0.0
        var digits = ""
        var nextUnit = 0  // index into unitOrder: units must come largest first
        for character in text {
            if character.isNumber {
                digits.append(character)
                continue
            }
            guard let multiplier = unitSeconds[character], let position = unitOrder.firstIndex(of: character),
                position >= nextUnit, let number = Int(digits)
            else { return nil }
            total += Double(number) * Double(multiplier)
            nextUnit = position + 1
            digits = ""
        }
        guard digits.isEmpty, total <= maximumDuration else { return nil }
        return total
    }

    /// Parses a boolean: `true/false`, `yes/no`, `on/off`, `1/0` (letters in any case).
    public static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }

    /// Splits a comma-separated list, trimming each item and dropping empty ones.
    public static func list(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmed(.whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Parses a percentage such as `10%` or `12.5%` into a fraction (`0.1`, `0.125`).
    public static func percentage(_ text: String) -> Double? {
        guard text.hasSuffix("%") else { return nil }
        let number = text.dropLast().trimmed(.whitespaces)
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number), value.isFinite
        else { return nil }
        return value / 100
    }

    /// Parses a whole, non-negative number (`4`); no sign, no spaces.
    public static func integer(_ text: String) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// Parses `N/W` (`1000/5m`): at most N requests in any W-long window. Checks only the syntax and
    /// that both parts are positive.
    public static func rateLimit(_ text: String) -> RateLimit? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let count = parts[0].trimmed(.whitespaces)
        let window = parts[1].trimmed(.whitespaces)
        guard let requests = integer(count), requests >= 1, let seconds = duration(window), seconds > 0 else {
            return nil
        }
        return RateLimit(requests: requests, window: seconds)
    }

    /// Formats seconds the way the configuration writes them: `45s`, `5m`, `1h30m`, `1d`, `0s`.
    /// Fractions of a second are rounded up, so a formatted minimum is never below the real one.
    public static func formatDuration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0s" }
        var remaining = Int(seconds.rounded(.up))
        var text = ""
        for unit in unitOrder {
            let size = unitSeconds[unit]!
            if remaining >= size {
                text += "\(remaining / size)\(unit)"
                remaining %= size
            }
        }
        return text
    }

    /// Formats a fraction as a percentage without needless decimals: `0.1` → `10%`, `0.125` → `12.5%`.
    public static func formatPercentage(_ fraction: Double) -> String {
        let percent = (fraction * 1000).rounded() / 10
        return percent == percent.rounded() ? "\(Int(percent))%" : "\(percent)%"
    }

    /// The Levenshtein distance between two strings, for "did you mean" hints.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate closest to `word`, when it is close enough to be a likely typo: at most one edit
    /// for short words, two for longer ones, a difference of case and `-`/`_` only, or an abbreviation
    /// of at least three letters (`warn` for `warning`).
    public static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        let folded = word.lowercased().replacingOccurrences(of: "-", with: "_")
        let lowercased = word.lowercased()
        let length = word.count
        var best: (candidate: String, distance: Int)?
        var abbreviated: String?
        for candidate in candidates {
            let foldedCandidate = candidate.lowercased().replacingOccurrences(of: "-", with: "_")
            if foldedCandidate == folded { return candidate }
            if folded.count >= 3, foldedCandidate.hasPrefix(folded), abbreviated == nil { abbreviated = candidate }
            // The distance is at least the difference in length, and more than 2 is never suggested:
            // skipping those keeps a hostile multi-megabyte "key" from costing minutes.
            guard abs(length - candidate.count) <= 2 else { continue }
            let distance = editDistance(lowercased, candidate.lowercased())
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return abbreviated }
        let allowed = min(length, best.candidate.count) <= 4 ? 1 : 2
        return best.distance <= allowed ? best.candidate : abbreviated
    }
}
