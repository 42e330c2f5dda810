import Foundation

/// A strict reader of JSON bytes for the formats ssowatch reads on hot paths (the state file, the connector
/// list): the caller reads the values it expects and gets `nil` for anything else, so it can leave unusual
/// input to `JSONDecoder` or `JSONSerialization`. Strings must be valid UTF-8 and may not hold a lone
/// surrogate; numbers follow JSON's grammar.
package struct JSONByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    /// Runs `read` over `bytes` and returns its value when it consumed them all (whitespace aside).
    package static func read<T>(_ bytes: [UInt8], _ read: (inout JSONByteReader) -> T?) -> T? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONByteReader(bytes: buffer)
            guard let value = read(&reader), reader.atEnd() else { return nil }
            return value
        }
    }

    // MARK: Keys seen once

    /// Stores a required value; false when it is missing (wrong type) or the key came before.
    package static func once<T>(_ slot: inout T?, _ value: T?) -> Bool {
        guard slot == nil, let value else { return false }
        slot = value
        return true
    }

    /// Stores an optional value, `null` included; false when the key came before or the value is invalid.
    package mutating func onceOptional<T>(_ slot: inout T??, _ read: (inout JSONByteReader) -> T?) -> Bool {
        guard case .none = slot else { return false }
        if literal("null") {
            slot = .some(nil)
            return true
        }
        guard let value = read(&self) else { return false }
        slot = .some(value)
        return true
    }

    // MARK: JSON

    /// Reads `{ "key": value, … }`, handing each key to `member`, which reads the value; false when
    /// the object is malformed or `member` refuses.
    package mutating func object(_ member: (inout JSONByteReader, String) -> Bool) -> Bool {
        guard byte("{") else { return false }
        if byte("}") { return true }
        repeat {
            guard let key = string(), byte(":"), member(&self, key) else { return false }
        } while byte(",")
        return byte("}")
    }

    /// Reads an object whose keys are ids or names; false on a repeated key.
    package mutating func dictionary<T>(_ element: (inout JSONByteReader) -> T?) -> [String: T]? {
        var result: [String: T] = [:]
        let complete = object { reader, key in
            guard result[key] == nil, let value = element(&reader) else { return false }
            result[key] = value
            return true
        }
        return complete ? result : nil
    }

    package mutating func array<T>(_ element: (inout JSONByteReader) -> T?) -> [T]? {
        guard byte("[") else { return nil }
        var result: [T] = []
        if byte("]") { return result }
        repeat {
            guard let value = element(&self) else { return nil }
            result.append(value)
        } while byte(",")
        return byte("]") ? result : nil
    }

    package mutating func bool() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    /// An integer written as digits (no fraction or exponent) that fits in `Int`.
    package mutating func int() -> Int? {
        skipWhitespace()
        var position = index
        let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let digitsStart = position
        var value = 0
        while position < bytes.count, case let digit = bytes[position], digit >= 0x30 && digit <= 0x39 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit - 0x30) * (negative ? -1 : 1))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            position += 1
        }
        let count = position - digitsStart
        guard count > 0, count == 1 || bytes[digitsStart] != 0x30, !continuesNumber(at: position) else {
            return nil
        }
        index = position
        return value
    }

    /// A number in JSON's grammar, read as `Double` (correctly rounded, as `JSONDecoder` does).
    package mutating func double() -> Double? {
        skipWhitespace()
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
        guard integer > 0, integer == 1 || bytes[integerStart] != 0x30 else { return nil }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { return nil }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count
                && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
            {
                position += 1
            }
            guard digits() > 0 else { return nil }
        }
        guard !continuesNumber(at: position),
            let value = Double(
                String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)),
            value.isFinite
        else { return nil }
        index = position
        return value
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

    /// A string; `nil` for invalid UTF-8, a raw control character, or an escape it does not know
    /// (a lone surrogate included).
    package mutating func string() -> String? {
        guard byte("\"") else { return nil }
        let start = index
        var escaped = false
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let content = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return escaped ? unescape(content) : String(validating: content, as: UTF8.self)
            case UInt8(ascii: "\\"):
                escaped = true
                index += 2
            case 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    private func unescape(_ content: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(content.count)
        var position = 0
        func hex4() -> UInt32? {
            guard position + 4 <= content.count else { return nil }
            var value: UInt32 = 0
            for byte in content[position..<position + 4] {
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            position += 4
            return value
        }
        while position < content.count {
            let byte = content[position]
            position += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            guard position < content.count else { return nil }
            let escape = content[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800...0xDBFF).contains(scalar) {
                    guard position + 2 <= content.count, content[position] == UInt8(ascii: "\\"),
                        content[position + 1] == UInt8(ascii: "u")
                    else { return nil }
                    position += 2
                    guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: String(Character(unicode)).utf8)
            default: return nil
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    package mutating func literal(_ word: StaticString) -> Bool {
        skipWhitespace()
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Skips whitespace and reads `character` if it comes next.
    mutating func byte(_ character: Unicode.Scalar) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func skipWhitespace() {
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

    /// Skips one value of any kind, checking its syntax; false when it is not JSON.
    package mutating func skipValue(depth: Int = 0) -> Bool {
        guard depth < 64 else { return false }
        skipWhitespace()
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"): return object { reader, _ in reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            index += 1
            if byte("]") { return true }
            repeat {
                guard skipValue(depth: depth + 1) else { return false }
            } while byte(",")
            return byte("]")
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return bool() != nil
        case UInt8(ascii: "n"): return literal("null")
        default: return double() != nil
        }
    }
}
