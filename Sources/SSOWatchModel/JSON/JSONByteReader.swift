import Foundation

/// A reader of JSON bytes that builds the caller's values as it goes, with no tree in between: the one
/// decoder of every JSON format ssowatch reads (the state file and its journal, docs/STATE.md; Cloudflare's
/// answers; chat services' error bodies). The caller reads the values it expects; anything else throws a
/// `JSONReadError` naming the byte or the key path and what was wrong. Strings must be valid UTF-8 and may not
/// hold a lone surrogate; numbers follow JSON's grammar; objects and arrays nest at most `maximumDepth` deep.
///
/// Reading values directly rather than through Foundation's JSON tree is what lets a daemon with thousands of
/// accounts read its state and its polls in a fraction of the time (BENCHMARKS.md).
package struct JSONByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    /// How deep objects and arrays may nest.
    package static let maximumDepth = 64

    /// The kinds of JSON value.
    package enum Kind: Sendable, Equatable {
        case object, array, string, number, boolean, null
    }

    /// Runs `read` over `bytes` and returns its value when it consumed them all (whitespace aside).
    package static func read<T>(
        _ bytes: [UInt8], _ read: (inout JSONByteReader) throws(JSONReadError) -> T
    ) throws(JSONReadError) -> T {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONReadError) -> T in
            var reader = JSONByteReader(bytes: buffer)
            let value = try read(&reader)
            guard reader.atEnd() else { throw reader.syntaxError("expected the end of the text") }
            return value
        }
    }

    /// Where the reader is, in bytes from the start.
    package var offset: Int { index }

    /// The text read since `start` (an earlier `offset`), e.g. a number to quote in an error.
    package func text(from start: Int) -> String { text(start..<index) }

    /// The bytes read since `start` (an earlier `offset`).
    package func bytes(from start: Int) -> [UInt8] { Array(bytes[start..<index]) }

    // MARK: Keys seen once

    /// Reads a required value into `slot` the first time its key comes; a repeated key's value is skipped, so
    /// the first one counts (as with Foundation's decoder).
    package mutating func once<T>(_ slot: inout T?, _ read: (inout JSONByteReader) throws(JSONReadError) -> T)
        throws(JSONReadError)
    {
        guard slot == nil else { return try skipValue() }
        slot = try read(&self)
    }

    /// Reads an optional value, `null` included, into `slot` the first time its key comes.
    package mutating func onceOptional<T>(
        _ slot: inout T??, _ read: (inout JSONByteReader) throws(JSONReadError) -> T
    ) throws(JSONReadError) {
        guard case .none = slot else { return try skipValue() }
        slot = .some(try optional(read))
    }

    /// The value of a required key, or a `missingKey` error at the object just read.
    package func required<T>(_ value: T?, _ key: String) throws(JSONReadError) -> T {
        guard let value else { throw JSONReadError(.missingKey(key), at: index) }
        return value
    }

    // MARK: JSON

    /// The kind of the value that comes next, `nil` when no value can start there (nothing is consumed).
    package mutating func kind() -> Kind? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"): return startsWith("true") ? .boolean : nil
        case UInt8(ascii: "f"): return startsWith("false") ? .boolean : nil
        case UInt8(ascii: "n"): return startsWith("null") ? .null : nil
        case UInt8(ascii: "-"), 0x30...0x39: return .number
        default: return nil
        }
    }

    /// Whether `word` comes next (nothing is consumed).
    private func startsWith(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        return true
    }

    /// Reads `null` if it comes next.
    package mutating func null() -> Bool { literal("null") }

    /// `nil` for `null`, else what `read` reads.
    package mutating func optional<T>(_ read: (inout JSONByteReader) throws(JSONReadError) -> T)
        throws(JSONReadError) -> T?
    {
        if null() { return nil }
        return try read(&self)
    }

    /// Reads `{ "key": value, … }`, handing each key to `member`, which must read the value; an error in it
    /// names the key.
    package mutating func object(_ member: (inout JSONByteReader, String) throws(JSONReadError) -> Void)
        throws(JSONReadError)
    {
        try open(UInt8(ascii: "{"), "an object")
        if byte("}") { return }
        repeat {
            guard kind() == .string else { throw syntaxError("expected a key in quotes") }
            let key = try string()
            guard byte(":") else { throw syntaxError("expected ':' after a key") }
            do {
                try member(&self, key)
            } catch {
                throw error.inside(.key(key))
            }
        } while byte(",")
        guard byte("}") else { throw syntaxError("expected ',' or '}'") }
        depth -= 1
    }

    /// Reads an object whose keys are ids or names; of a repeated key the first value counts.
    package mutating func dictionary<T>(_ element: (inout JSONByteReader) throws(JSONReadError) -> T)
        throws(JSONReadError) -> [String: T]
    {
        var result: [String: T] = [:]
        try object { (reader, key) throws(JSONReadError) in
            guard result[key] == nil else { return try reader.skipValue() }
            result[key] = try element(&reader)
        }
        return result
    }

    /// Reads `[ value, … ]`; an error in an element names its index.
    package mutating func array<T>(_ element: (inout JSONByteReader) throws(JSONReadError) -> T)
        throws(JSONReadError) -> [T]
    {
        try open(UInt8(ascii: "["), "an array")
        var result: [T] = []
        if byte("]") { return result }
        repeat {
            do {
                result.append(try element(&self))
            } catch {
                throw error.inside(.index(result.count))
            }
        } while byte(",")
        guard byte("]") else { throw syntaxError("expected ',' or ']'") }
        depth -= 1
        return result
    }

    package mutating func bool() throws(JSONReadError) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw mismatch("a boolean")
    }

    /// An integer that fits in `Int`. Written as digits, or with a fraction or exponent that leaves a whole
    /// number (`2.0`, as Foundation's decoder reads it).
    package mutating func int() throws(JSONReadError) -> Int {
        skipWhitespace()
        var position = index
        let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let digitsStart = position
        var value = 0
        var overflow = false
        while position < bytes.count, case let digit = bytes[position], digit >= 0x30 && digit <= 0x39 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit - 0x30) * (negative ? -1 : 1))
            overflow = overflow || overflow1 || overflow2
            value = sum
            position += 1
        }
        let count = position - digitsStart
        if count > 0, count == 1 || bytes[digitsStart] != 0x30, !continuesNumber(at: position) {
            let start = index
            index = position
            guard !overflow else { throw JSONReadError(.invalid("\(text(start..<position)) is too large"), at: start) }
            return value
        }
        // Not plain digits: a fraction or exponent (or not a number at all).
        guard kind() == .number else { throw mismatch("an integer") }
        let start = index
        let number = try double()
        guard number == number.rounded(.towardZero) else {
            index = start
            throw mismatch("an integer")
        }
        guard number >= -0x1p63, number < 0x1p63 else {
            throw JSONReadError(.invalid("\(text(start..<index)) is too large"), at: start)
        }
        return Int(number)
    }

    /// A number in JSON's grammar, read as `Double` (correctly rounded); one too large
    /// for a `Double` is invalid.
    package mutating func double() throws(JSONReadError) -> Double {
        skipWhitespace()
        let start = index
        let end = try numberEnd()
        let token = text(start..<end)
        guard let value = Double(token), value.isFinite else {
            throw JSONReadError(.invalid("\(token) is too large"), at: start)
        }
        index = end
        return value
    }

    /// Where the number that starts here ends (nothing is consumed); throws when there is none.
    private mutating func numberEnd() throws(JSONReadError) -> Int {
        let start = index
        var position = index
        func digits() -> Int {
            let first = position
            while position < bytes.count, bytes[position] >= 0x30 && bytes[position] <= 0x39 { position += 1 }
            return position - first
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integer = digits()
        guard integer > 0 else {
            throw position > start ? syntaxError("expected a digit", at: position) : mismatch("a number")
        }
        guard integer == 1 || bytes[integerStart] != 0x30 else {
            throw syntaxError("a number may not start with 0", at: integerStart)
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw syntaxError("expected a digit after '.'", at: position) }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count
                && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
            {
                position += 1
            }
            guard digits() > 0 else { throw syntaxError("expected a digit in the exponent", at: position) }
        }
        guard !continuesNumber(at: position) else {
            throw syntaxError("unexpected character in a number", at: position)
        }
        return position
    }

    /// Whether a number token would go on at `position` (so it is not one this reader understands).
    private func continuesNumber(at position: Int) -> Bool {
        guard position < bytes.count else { return false }
        switch bytes[position] {
        case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            return true
        case 0x30...0x39: return true
        default: return false
        }
    }

    /// Skips one value of any kind, checking its syntax.
    package mutating func skipValue() throws(JSONReadError) {
        switch kind() {
        case .object: try object { (reader, _) throws(JSONReadError) in try reader.skipValue() }
        case .array:
            try open(UInt8(ascii: "["), "an array")
            if byte("]") { return }
            repeat {
                try skipValue()
            } while byte(",")
            guard byte("]") else { throw syntaxError("expected ',' or ']'") }
            depth -= 1
        case .string: _ = try string()
        case .boolean: _ = try bool()
        case .null: _ = null()
        case .number: index = try numberEnd()
        case nil: throw syntaxError("expected a value")
        }
    }

    /// The bytes of the next value, as they are written (its syntax checked).
    package mutating func rawValue() throws(JSONReadError) -> [UInt8] {
        skipWhitespace()
        let start = index
        try skipValue()
        return bytes(from: start)
    }

    // MARK: Tokens

    /// How deep the reader is in objects and arrays.
    private var depth = 0

    /// Reads the opening bracket of an object or array (`expected` names it for an error).
    private mutating func open(_ bracket: UInt8, _ expected: String) throws(JSONReadError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == bracket else { throw mismatch(expected) }
        guard depth < Self.maximumDepth else {
            throw syntaxError("nested more than \(Self.maximumDepth) levels deep")
        }
        depth += 1
        index += 1
    }

    /// The error for a value that is not `expected`: a type mismatch when a JSON value of another kind is
    /// there, else a syntax error.
    mutating func mismatch(_ expected: String) -> JSONReadError {
        let found: String
        switch kind() {
        case .object: found = "an object"
        case .array: found = "an array"
        case .string: found = "a string"
        case .boolean: found = "a boolean"
        case .null: found = "null"
        case .number:
            var end = index + 1
            while end < bytes.count, end - index < 24, continuesNumber(at: end) { end += 1 }
            found = text(index..<end)
        case nil:
            return syntaxError("expected a value")
        }
        return JSONReadError(.type(expected: expected, found: found), at: index)
    }

    func syntaxError(_ detail: String, at position: Int? = nil) -> JSONReadError {
        let position = position ?? index
        return JSONReadError(.syntax(position < bytes.count ? detail : "the text ends early (\(detail))"), at: position)
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    mutating func literal(_ word: StaticString) -> Bool {
        skipWhitespace()
        guard startsWith(word) else { return false }
        index += word.utf8CodeUnitCount
        return true
    }

    /// Skips whitespace and reads `character` if it comes next.
    mutating func byte(_ character: Unicode.Scalar) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    package mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }
}
