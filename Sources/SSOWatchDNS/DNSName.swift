/// A domain name as a list of labels, compared without regard to ASCII case (RFC 4343).
///
/// Labels are kept as bytes, since DNS allows any byte in a label; `description` shows them as text
/// with the usual `\DDD` escapes for dots, backslashes and bytes that are not printable ASCII.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The longest label, in bytes.
    public static let maxLabelLength = 63
    /// The longest name on the wire, in bytes, counting length bytes and the root's zero byte.
    public static let maxWireLength = 255
    /// How many compression pointers one name may follow; a legitimate name needs at most a few.
    static let maxPointerJumps = 64

    /// The root name, `.`.
    public static let root = DNSName(uncheckedLabels: [])

    /// The labels from the leftmost (most specific) to the rightmost; empty for the root.
    public let labels: [[UInt8]]

    /// Creates a name from its labels.
    /// - Throws: `DNSWireError` (`badLabel`, `nameTooLong`) when a label is empty or longer than 63 bytes,
    ///   or the name would be longer than 255 bytes on the wire.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        for label in labels where label.isEmpty || label.count > Self.maxLabelLength {
            throw DNSWireError(.badLabel, at: 0, "a label must be 1 to 63 bytes, not \(label.count)")
        }
        let wireLength = labels.reduce(1) { $0 + 1 + $1.count }
        guard wireLength <= Self.maxWireLength else {
            throw DNSWireError(.nameTooLong, at: 0, "a name must be at most 255 bytes, not \(wireLength)")
        }
        self.labels = labels
    }

    /// Parses dotted text such as `example.com` or `example.com.`; `.` and the empty string are the root.
    /// No escapes are interpreted: email domains and nameserver names need none.
    /// - Throws: `DNSWireError` for an empty label (`a..b`) or the length limits.
    public init(_ text: String) throws(DNSWireError) {
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        if body.isEmpty {
            self = .root
            return
        }
        try self.init(labels: body.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) })
    }

    init(uncheckedLabels labels: [[UInt8]]) {
        self.labels = labels
    }

    /// The name without its leftmost label, or `nil` for the root.
    public var parent: DNSName? {
        labels.isEmpty ? nil : DNSName(uncheckedLabels: Array(labels.dropFirst()))
    }

    /// Whether this name is `other` or lies below it (`a.example.com` is within `example.com`).
    public func isWithin(_ other: DNSName) -> Bool {
        guard labels.count >= other.labels.count else { return false }
        return zip(labels.suffix(other.labels.count), other.labels).allSatisfy {
            Self.lowercased($0) == Self.lowercased($1)
        }
    }

    /// Dotted text without the trailing dot (`.` for the root), as people write nameserver names.
    public var description: String {
        if labels.isEmpty { return "." }
        return labels.map(Self.escaped).joined(separator: ".")
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.labels.count == rhs.labels.count
            && zip(lhs.labels, rhs.labels).allSatisfy { lowercased($0) == lowercased($1) }
    }

    public func hash(into hasher: inout Hasher) {
        for label in labels {
            hasher.combine(Self.lowercased(label))
        }
    }

    static func lowercased(_ label: [UInt8]) -> [UInt8] {
        label.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
    }

    private static func escaped(_ label: [UInt8]) -> String {
        var text = ""
        for byte in label {
            switch byte {
            case UInt8(ascii: "."), UInt8(ascii: "\\"):
                text += "\\" + String(UnicodeScalar(byte))
            case 0x21...0x7E:
                text.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let digits = String(byte)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text
    }
}

extension DNSName {
    /// Reads a name at the reader's position, following compression pointers.
    ///
    /// Every pointer must point strictly before the label that holds it, so a chain of pointers always
    /// moves backwards and cannot loop; the jump count and the 255-byte limit are checked as well.
    static func decode(from reader: inout DNSWireReader) throws(DNSWireError) -> DNSName {
        var labels: [[UInt8]] = []
        var wireLength = 1
        var jumps = 0
        // Where the reader resumes after the name: just past the first pointer, or past the final zero.
        var resume: Int?
        var cursor = reader
        // Pointers must land before this offset; it shrinks with every jump.
        var limit = reader.offset
        while true {
            let start = cursor.offset
            let length = try cursor.readUInt8("a name's label length")
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    reader = DNSWireReader(reader.bytes, offset: resume ?? cursor.offset)
                    return DNSName(uncheckedLabels: labels)
                }
                wireLength += 1 + Int(length)
                guard wireLength <= maxWireLength else {
                    throw DNSWireError(.nameTooLong, at: start, "a name is longer than 255 bytes")
                }
                labels.append(try cursor.readBytes(Int(length), "a label of \(length) bytes"))
            case 0xC0:
                let low = try cursor.readUInt8("a compression pointer")
                let target = Int(length & 0x3F) << 8 | Int(low)
                jumps += 1
                guard jumps <= maxPointerJumps else {
                    throw DNSWireError(.badPointer, at: start, "a name follows more than \(maxPointerJumps) pointers")
                }
                guard target < limit, target < start else {
                    throw DNSWireError(
                        .badPointer, at: start, "a compression pointer to byte \(target) does not point backwards")
                }
                if resume == nil { resume = cursor.offset }
                limit = target
                cursor = DNSWireReader(reader.bytes, offset: target)
            default:
                throw DNSWireError(.badLabel, at: start, "unsupported label type 0x\(String(length & 0xC0, radix: 16))")
            }
        }
    }
}
