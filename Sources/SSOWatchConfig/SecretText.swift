import SSOWatchModel
/// The one check of a secret's text (an API token, a webhook URL, a signing secret), whatever its source:
/// an INI value, a `*_file`, a `*_env` variable, a `*_credential`, or `CLOUDFLARE_API_TOKEN`.
///
/// Surrounding whitespace is trimmed (a file saved with `\r\n`, a variable set from `echo`); what is left
/// must hold no control character (CR, LF, NUL, tab, escape: they cannot travel in an HTTP header and
/// AsyncHTTPClient would refuse the request, quoting the value), no invisible formatting character and
/// no whitespace (a token, a URL and a `whsec_` secret are each one word). A problem names the character
/// and its position, never the text, so a message about it cannot leak the secret.
public enum SecretText {
    /// The variable that gives the API token when the configuration gives none.
    public static let environmentTokenVariable = "CLOUDFLARE_API_TOKEN"

    /// A character a secret must not contain, and where it is.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// What kind of character it is.
        public enum Kind: Sendable, Equatable {
            /// Unicode category Cc: C0 controls (CR, LF, NUL, tab, escape), DEL and the C1 controls.
            case control
            /// Unicode category Cf: zero-width spaces, direction marks, a byte-order mark.
            case invisible
            /// A space or another separator.
            case whitespace
        }

        /// What kind of character it is.
        public var kind: Kind
        /// The character.
        public var scalar: Unicode.Scalar
        /// Where it is in the trimmed text, counted in Unicode scalars from 1.
        public var position: Int

        /// Creates a problem.
        public init(kind: Kind, scalar: Unicode.Scalar, position: Int) {
            self.kind = kind
            self.scalar = scalar
            self.position = position
        }

        /// `contains a control character (U+000D) at position 41`: the sentence after "the token".
        public var description: String {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            let what =
                switch kind {
                case .control: "a control character"
                case .invisible: "an invisible formatting character"
                case .whitespace: "whitespace"
                }
            return "contains \(what) (\(code)) at position \(position)"
        }
    }

    /// The text with surrounding whitespace trimmed, or the first character that has no place in a secret.
    /// The result may be empty: each source words that case itself (an empty file, an empty variable).
    public static func validated(_ raw: String) -> Result<String, Problem> {
        let text = raw.trimmed(.whitespacesAndNewlines)
        // Visible ASCII (every real token and URL) needs no look at Unicode properties.
        if text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return .success(text) }
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            let kind: Problem.Kind? =
                switch scalar.properties.generalCategory {
                case .control: .control
                case .format: .invisible
                case .spaceSeparator, .lineSeparator, .paragraphSeparator: .whitespace
                default: scalar.properties.isWhitespace ? .whitespace : nil
                }
            if let kind { return .failure(Problem(kind: kind, scalar: scalar, position: offset + 1)) }
        }
        return .success(text)
    }

    /// The API token in `CLOUDFLARE_API_TOKEN`, checked like every other source; `nil` when the variable
    /// is unset or blank.
    /// - Throws: the problem with its text; say "CLOUDFLARE_API_TOKEN \(problem)".
    public static func environmentToken(_ environment: [String: String]) throws(Problem) -> Secret? {
        guard let raw = environment[environmentTokenVariable] else { return nil }
        let token = try validated(raw).get()
        return token.isEmpty ? nil : Secret(token, source: "env \(environmentTokenVariable)")
    }
}
