/// Recognises TXT values that are a mistyped form of the expected verification value.
///
/// The expected value is the whole `verification.code`, `cloudflare_dashboard_sso=<code>`. Values with the
/// right prefix and another code are other accounts claiming the domain: normal, never a near miss.
public enum DNSNearMiss {
    /// The prefix of every Cloudflare SSO verification value.
    public static let prefix = "cloudflare_dashboard_sso="
    /// The prefix people write by mistake, after the name of Cloudflare's tunnel daemon.
    public static let cloudflaredPrefix = "cloudflared_dashboard_sso="
    /// The shortest code fragment taken for a truncated code rather than for noise.
    static let minimumTruncatedCode = 8

    /// One way a published value differs from the expected one.
    public enum Mistake: String, Hashable, Sendable, CaseIterable {
        /// Whitespace around the value or inside it.
        case whitespace
        /// The value is wrapped in quotes that became part of the data.
        case quotes
        /// `cloudflared_dashboard_sso=` instead of `cloudflare_dashboard_sso=`.
        case cloudflaredPrefix = "cloudflared_prefix"
        /// The code alone, without `cloudflare_dashboard_sso=`.
        case missingPrefix = "missing_prefix"
        /// The code is cut short.
        case truncated
        /// Letters in the wrong case.
        case caseChanged = "case"

        /// What to tell the person who published it.
        public var explanation: String {
            switch self {
            case .whitespace: "has extra whitespace"
            case .quotes: "has quotes inside the value"
            case .cloudflaredPrefix: "starts with cloudflared_ instead of cloudflare_"
            case .missingPrefix: "lacks the cloudflare_dashboard_sso= prefix"
            case .truncated: "has a truncated code"
            case .caseChanged: "has letters in the wrong case"
            }
        }
    }

    /// The mistakes that turn `expected` into `value`, or `nil` when `value` is exact or is not a mistyped
    /// form of it (another account's value, unrelated text).
    public static func mistakes(in value: String, expected: String) -> [Mistake]? {
        guard value != expected else { return nil }
        var found: Set<Mistake> = []
        var text = Substring(value)
        // Peel whitespace and quotes in any nesting: `" cloudflare…"`, ` "cloudflare…" `.
        while true {
            let trimmed = text.trimmingWhitespace()
            if trimmed.count != text.count {
                found.insert(.whitespace)
                text = trimmed
                continue
            }
            if let unquoted = text.unquoted() {
                found.insert(.quotes)
                text = unquoted
                continue
            }
            break
        }
        if text.contains(where: \.isWhitespace) {
            found.insert(.whitespace)
            text = Substring(text.filter { !$0.isWhitespace })
        }
        let expectedCode =
            expected.hasPrefix(prefix) ? Substring(expected.dropFirst(prefix.count)) : Substring(expected)
        let code: Substring
        if text.lowercased().hasPrefix(prefix) {
            code = text.dropFirst(prefix.count)
            if !text.hasPrefix(prefix) { found.insert(.caseChanged) }
        } else if text.lowercased().hasPrefix(cloudflaredPrefix) {
            found.insert(.cloudflaredPrefix)
            code = text.dropFirst(cloudflaredPrefix.count)
        } else {
            found.insert(.missingPrefix)
            code = text
        }
        if code != expectedCode {
            if code.lowercased() == expectedCode.lowercased() {
                found.insert(.caseChanged)
            } else if code.count >= min(minimumTruncatedCode, expectedCode.count), code.count < expectedCode.count,
                expectedCode.lowercased().hasPrefix(code.lowercased())
            {
                found.insert(.truncated)
                if !expectedCode.hasPrefix(code) { found.insert(.caseChanged) }
            } else {
                return nil
            }
        }
        // A bare different value with the right prefix is another account's, handled above; here the
        // only difference left would be none at all, which `value != expected` rules out.
        return found.isEmpty ? nil : Mistake.allCases.filter(found.contains)
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }

    /// The text inside matching quotes (`"…"`, `'…'`, `\"…\"`), or `nil` when it is not quoted.
    fileprivate func unquoted() -> Substring? {
        for quote in ["\\\"", "\"", "'", "\u{201C}"] {
            let closing = quote == "\u{201C}" ? "\u{201D}" : quote
            if count >= quote.count + closing.count, hasPrefix(quote), hasSuffix(closing) {
                return dropFirst(quote.count).dropLast(closing.count)
            }
        }
        return nil
    }
}
