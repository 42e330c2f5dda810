extension JSONByteReader {
    /// One JSON value indented for people, as `ssowatch connectors --json` and `ssowatch poll --json` print it
    /// (docs/COMMANDS.md): two spaces a level, `"key" : value`, keys sorted, strings re-escaped, numbers as
    /// written.
    package static func prettyPrinted(_ bytes: [UInt8]) throws(JSONReadError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        try read(bytes) { (reader) throws(JSONReadError) in try reader.printValue(into: &out, level: 0) }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func printValue(into out: inout [UInt8], level: Int) throws(JSONReadError) {
        func newline(_ out: inout [UInt8], _ level: Int) {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        switch kind() {
        case .object:
            var members: [(key: String, value: [UInt8])] = []
            try object { (reader, key) throws(JSONReadError) in
                var value: [UInt8] = []
                try reader.printValue(into: &value, level: level + 1)
                members.append((key, value))
            }
            guard !members.isEmpty else { return out.append(contentsOf: "{}".utf8) }
            out.append(UInt8(ascii: "{"))
            // By key; members with the same key stay in their order.
            let sorted = members.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
            for (position, (_, member)) in sorted.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, level + 1)
                out.append(contentsOf: JSONValue.string(member.key).bytes)
                out.append(contentsOf: " : ".utf8)
                out.append(contentsOf: member.value)
            }
            newline(&out, level)
            out.append(UInt8(ascii: "}"))
        case .array:
            var first = true
            out.append(UInt8(ascii: "["))
            _ = try array { (reader) throws(JSONReadError) in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(&out, level + 1)
                try reader.printValue(into: &out, level: level + 1)
            }
            if first { return out.append(UInt8(ascii: "]")) }
            newline(&out, level)
            out.append(UInt8(ascii: "]"))
        case .string:
            out.append(contentsOf: JSONValue.string(try string()).bytes)
        default:
            out.append(contentsOf: try rawValue())
        }
    }
}
