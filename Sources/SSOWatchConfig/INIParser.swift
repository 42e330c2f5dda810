import Foundation
import SSOWatchModel

/// One `key = value` line of an INI file.
public struct INIEntry: Sendable, Hashable {
    /// The key as written (not yet checked against the known keys).
    public var key: String
    /// The value, trimmed, with quotes removed and escapes applied.
    public var value: String
    /// The 1-based line number.
    public var line: Int

    /// Creates an entry.
    public init(key: String, value: String, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// One `[kind]` or `[kind "name"]` section and the entries under it, in file order.
public struct INISection: Sendable, Hashable {
    /// The word before the name: `daemon`, `account`, `webhook` (or anything, for the loader to reject).
    public var kind: String
    /// The quoted name, if the header had one.
    public var name: String?
    /// The 1-based line number of the header.
    public var line: Int
    /// The entries in file order, duplicates included (the loader reports those).
    public var entries: [INIEntry]

    /// Creates a section.
    public init(kind: String, name: String?, line: Int, entries: [INIEntry] = []) {
        self.kind = kind
        self.name = name
        self.line = line
        self.entries = entries
    }

    /// How the header reads, for messages: `[daemon]`, `[account "prod"]`.
    public var header: String { name.map { "[\(kind) \"\($0)\"]" } ?? "[\(kind)]" }
}

/// A syntax error found by ``INIParser``: the line and a message that never repeats a value.
public struct INISyntaxError: Error, Sendable, Hashable {
    /// The 1-based line number.
    public var line: Int
    /// What is wrong and how to write it instead.
    public var message: String

    /// Creates a syntax error.
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// The INI dialect of docs/CONFIGURATION.md, as a pure function from text to sections.
///
/// It checks syntax only: section headers (`[kind]`, `[kind "NAME"]`), `key = value` lines, comment
/// lines (`#` or `;` as the first non-blank character; there are no inline comments) and quoted
/// values. Which sections and keys exist is the loader's business. Messages never contain a value,
/// since values may be secrets.
public enum INIParser {
    /// Characters allowed in a section name (1–64 of them).
    static func isNameCharacter(_ c: Character) -> Bool {
        isWordCharacter(c)
    }

    /// Characters allowed in a section kind and, syntactically, in a key: ASCII letters and digits, `-`,
    /// `_` and `.` (compared as bytes: Unicode property lookups were a tenth of parsing a large file).
    static func isWordCharacter(_ c: Character) -> Bool {
        // `asciiValue` is nil for non-ASCII characters and \n for "\r\n", neither of them allowed.
        guard let byte = c.asciiValue else { return false }
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Parses a whole file.
    /// - Throws: ``INISyntaxError`` for the first line that is not a header, entry, comment or blank.
    public static func parse(_ text: String) throws(INISyntaxError) -> [INISection] {
        var sections: [INISection] = []
        // Split on the byte \n: a CRLF file leaves a \r at the end of each line, which the trimming
        // removes. (A \n is always a character of its own, so this splits where the characters would.)
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            let line = String(decoding: rawLine, as: UTF8.self).trimmed(.whitespacesAndCarriageReturn)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                sections.append(try parseHeader(line, line: number))
                continue
            }
            let entry = try parseEntry(line, line: number)
            guard !sections.isEmpty else {
                throw INISyntaxError(
                    line: number,
                    message: "`key = value` line before any section header; put it under [daemon], "
                        + "[account \"NAME\"] or [webhook \"NAME\"]")
            }
            sections[sections.count - 1].entries.append(entry)
        }
        return sections
    }

    /// Parses `[kind]` or `[kind "name"]` (already trimmed).
    static func parseHeader(_ text: String, line: Int) throws(INISyntaxError) -> INISection {
        var rest = Substring(text.dropFirst())
        rest = rest.drop { $0 == " " || $0 == "\t" }
        let kind = String(rest.prefix { isWordCharacter($0) })
        rest = rest.dropFirst(kind.count).drop { $0 == " " || $0 == "\t" }
        guard !kind.isEmpty else {
            throw INISyntaxError(
                line: line,
                message: "malformed section header; write [daemon], [account \"NAME\"] "
                    + "or [webhook \"NAME\"]")
        }
        var name: String?
        if rest.first == "\"" {
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "\"") else {
                throw INISyntaxError(line: line, message: "unterminated quoted name in section header")
            }
            let quoted = String(rest[..<close])
            guard (1...64).contains(quoted.count), quoted.allSatisfy(isNameCharacter) else {
                throw INISyntaxError(
                    line: line,
                    message: "invalid section name in [\(kind) ...]: a name is 1–64 characters of letters, digits, "
                        + "`-`, `_` and `.`")
            }
            name = quoted
            rest = rest[rest.index(after: close)...].drop { $0 == " " || $0 == "\t" }
        } else if let next = rest.first, next != "]" {
            let hint = next == "." || isWordCharacter(next) || next == " " ? "; quote it: [\(kind) \"NAME\"]" : ""
            throw INISyntaxError(
                line: line,
                message: "malformed section header: the name must be in double quotes"
                    + hint)
        }
        guard rest.first == "]" else {
            throw INISyntaxError(
                line: line,
                message: rest.isEmpty
                    ? "section header is missing its closing `]`"
                    : "unexpected text in section header; write [\(kind)] or [\(kind) \"NAME\"]")
        }
        guard rest.dropFirst().allSatisfy({ $0 == " " || $0 == "\t" }) else {
            throw INISyntaxError(
                line: line,
                message: "text after `]` in a section header (comments must be on "
                    + "their own line, starting with `#` or `;`)")
        }
        return INISection(kind: kind, name: name, line: line)
    }

    /// Parses `key = value` (already trimmed, not a comment or header).
    static func parseEntry(_ text: String, line: Int) throws(INISyntaxError) -> INIEntry {
        guard let equals = text.firstIndex(of: "=") else {
            throw INISyntaxError(
                line: line,
                message: "expected `key = value`, a [section] header, or a comment "
                    + "starting with `#` or `;`")
        }
        let key = text[..<equals].trimmed(.whitespaces)
        guard !key.isEmpty else {
            throw INISyntaxError(line: line, message: "missing key before `=`")
        }
        guard key.allSatisfy(isWordCharacter) else {
            // The "key" may be a pasted secret that happens to contain `=`: do not repeat it.
            throw INISyntaxError(
                line: line, message: "invalid key name: keys are lower_snake_case (a–z, 0–9 and `_`)")
        }
        let raw = text[text.index(after: equals)...].trimmed(.whitespaces)
        let value = try unquote(raw, line: line)
        return INIEntry(key: key, value: value, line: line)
    }

    /// Removes the double quotes around a value and applies `\"`, `\\`, `\n` and `\t`.
    /// Unquoted values are returned as they are: a `#` or `\` in them is literal.
    static func unquote(_ raw: String, line: Int) throws(INISyntaxError) -> String {
        guard raw.first == "\"" else { return raw }
        var result = ""
        var index = raw.index(after: raw.startIndex)
        while index < raw.endIndex {
            let character = raw[index]
            index = raw.index(after: index)
            switch character {
            case "\"":
                guard raw[index...].allSatisfy({ $0 == " " || $0 == "\t" }) else {
                    throw INISyntaxError(
                        line: line,
                        message: "text after the closing quote of a value (there are "
                            + "no inline comments; put a comment on its own line)")
                }
                return result
            case "\\":
                guard index < raw.endIndex else { break }
                let escaped = raw[index]
                index = raw.index(after: index)
                switch escaped {
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "t": result.append("\t")
                default:
                    let shown = escaped.isASCII && !escaped.isWhitespace ? "`\\\(escaped)`" : "escape"
                    throw INISyntaxError(
                        line: line,
                        message: "unknown \(shown) in a quoted value; only \\\", \\\\, "
                            + "\\n and \\t are allowed")
                }
            default:
                result.append(character)
            }
        }
        throw INISyntaxError(line: line, message: "unterminated quoted value: add the closing `\"`")
    }
}
