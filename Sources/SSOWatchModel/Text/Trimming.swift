import Foundation

/// The character sets ssowatch trims with.
package enum TrimSet {
    /// Foundation's `.whitespaces`: tab and the space separators (Zs).
    case whitespaces
    /// `.whitespaces` and `\r` (a configuration line, whose `\r\n` may leave a `\r`).
    case whitespacesAndCarriageReturn
    /// Foundation's `.whitespacesAndNewlines`.
    case whitespacesAndNewlines

    fileprivate static let carriageReturn = CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\r"))

    fileprivate var characterSet: CharacterSet {
        switch self {
        case .whitespaces: .whitespaces
        case .whitespacesAndCarriageReturn: Self.carriageReturn
        case .whitespacesAndNewlines: .whitespacesAndNewlines
        }
    }

    /// Whether the ASCII byte `byte` is in the set.
    fileprivate func containsASCII(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09: true
        case 0x0D: self != .whitespaces
        case 0x0A, 0x0B, 0x0C: self == .whitespacesAndNewlines
        default: false
        }
    }
}

extension StringProtocol {
    /// `trimmingCharacters(in:)` with `set`'s characters, the same result without Foundation's
    /// `CharacterSet` and `NSString` when both ends are ASCII, as they almost always are. It is the one
    /// trimming in SSOWatchCore: configuration lines, keys and values, secrets, `Ratelimit` and `Retry-After`
    /// values, webhook response headers. Parsing a 1,000-account configuration spent a quarter of its time in
    /// Foundation's trimming (BENCHMARKS.md). `TrimmingTests` checks the results against Foundation's.
    package func trimmed(_ set: TrimSet) -> String {
        let utf8 = Substring(self).utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, set.containsASCII(utf8[start]) { start = utf8.index(after: start) }
        while start < end {
            let last = utf8.index(before: end)
            guard set.containsASCII(utf8[last]) else { break }
            end = last
        }
        // Cut at ASCII bytes, so at scalar boundaries: decoding the bytes is exact (slicing the string
        // itself would round to grapheme boundaries).
        let kept = String(decoding: utf8[start..<end], as: UTF8.self)
        guard start < end, utf8[start] >= 0x80 || utf8[utf8.index(before: end)] >= 0x80 else { return kept }
        // A non-ASCII character at an end may be a space separator (U+00A0, U+3000, …): Foundation decides.
        return kept.trimmingCharacters(in: set.characterSet)
    }
}

extension String {
    /// This text when it has at most `limit` characters, else its first `limit - 1` and `…`: how ssowatch cuts
    /// text from a peer (an API error, a DNS answer, a reply) before it reaches a message, `status` or the state.
    package func shortened(to limit: Int) -> String {
        count <= limit ? self : String(prefix(max(0, limit - 1))) + "…"
    }
}
