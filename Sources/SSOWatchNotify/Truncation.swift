import SSOWatchConfig
import SSOWatchModel
/// Shortening text to a service's limit without producing something invalid: cuts fall only between
/// whole characters (never inside a surrogate pair, a UTF-8 sequence or an emoji cluster), never
/// inside an escape (`&amp;`, `\*`), and a cut is marked with `…`.
package enum Truncation {
    /// The mark appended to shortened text.
    static let ellipsis = "…"

    /// How a limit counts.
    enum Unit: Sendable {
        /// UTF-16 code units: what services mean by "characters".
        case utf16
        /// UTF-8 bytes.
        case utf8

        /// The length of `s` in this unit.
        func count(_ s: String) -> Int {
            switch self {
            case .utf16: s.utf16.count
            case .utf8: s.utf8.count
            }
        }
    }

    /// `s` if it fits in `limit`, else the longest prefix of whole atoms that fits with `…` after it.
    static func truncate(_ s: String, to limit: Int, in unit: Unit = .utf16) -> String {
        guard unit.count(s) > limit else { return s }
        let budget = limit - unit.count(ellipsis)
        guard budget >= 0 else { return "" }
        var out = ""
        var used = 0
        for atom in atoms(of: s) {
            let size = unit.count(atom)
            if used + size > budget { break }
            out += atom
            used += size
        }
        // A cut right after a lone space or newline looks odd; the ellipsis reads better on a word.
        while let last = out.last, last == " " || last == "\n" { out.removeLast() }
        return out + ellipsis
    }

    /// The largest `k` in `0...count` for which `fits(k)` holds, assuming that fewer items never
    /// make a message longer; 0 when none does.
    static func largestFitting(upTo count: Int, _ fits: (Int) -> Bool) -> Int {
        if fits(count) { return count }
        var low = 0  // fits, or the answer when nothing does
        var high = count  // does not fit
        while high - low > 1 {
            let mid = (low + high) / 2
            if fits(mid) { low = mid } else { high = mid }
        }
        return low
    }

    /// Splits text into pieces that must not be separated: single characters, HTML entities
    /// (`&amp;`, `&#128;`) and backslash escapes (`\*`).
    static func atoms(of s: String) -> [String] {
        var atoms: [String] = []
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if ch == "\\", i + 1 < chars.count {
                atoms.append(String(chars[i...(i + 1)]))
                i += 2
            } else if ch == "&", let end = entityEnd(chars, from: i) {
                atoms.append(String(chars[i...end]))
                i = end + 1
            } else {
                atoms.append(String(ch))
                i += 1
            }
        }
        return atoms
    }

    /// The index of the `;` closing an entity that starts at `start`, if there is one.
    private static func entityEnd(_ chars: [Character], from start: Int) -> Int? {
        var j = start + 1
        while j < chars.count, j - start <= 10 {
            let c = chars[j]
            if c == ";" { return j > start + 1 ? j : nil }
            guard c.isASCII, c.isLetter || c.isNumber || c == "#" else { return nil }
            j += 1
        }
        return nil
    }
}

extension JSONValue {
    /// The length of every string value in this document added up (keys not counted).
    func totalStringLength(in unit: Truncation.Unit) -> Int {
        switch self {
        case .string(let s): unit.count(s)
        case .array(let items): items.reduce(0) { $0 + $1.totalStringLength(in: unit) }
        case .object(let members): members.reduce(0) { $0 + $1.value.totalStringLength(in: unit) }
        case .null, .bool, .int: 0
        }
    }
}
