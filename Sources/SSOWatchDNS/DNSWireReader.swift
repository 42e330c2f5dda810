/// A cursor over one whole DNS message whose every read is bounds-checked.
///
/// It keeps the whole message (not a slice) because compression pointers are offsets from its start.
struct DNSWireReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func readUInt8(_ what: @autoclosure () -> String) throws(DNSWireError) -> UInt8 {
        try require(1, what())
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16(_ what: @autoclosure () -> String) throws(DNSWireError) -> UInt16 {
        try require(2, what())
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32(_ what: @autoclosure () -> String) throws(DNSWireError) -> UInt32 {
        try require(4, what())
        var value: UInt32 = 0
        for index in offset..<offset + 4 {
            value = value << 8 | UInt32(bytes[index])
        }
        offset += 4
        return value
    }

    mutating func readBytes(_ count: Int, _ what: @autoclosure () -> String) throws(DNSWireError) -> [UInt8] {
        try require(count, what())
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws(DNSWireError) {
        try require(count, what())
        offset += count
    }

    private func require(_ count: Int, _ what: String) throws(DNSWireError) {
        guard count >= 0, remaining >= count else {
            throw DNSWireError(.truncated, at: offset, "\(what) needs \(count) bytes, \(max(remaining, 0)) left")
        }
    }
}

/// Builds a DNS message, remembering where names were written so that later ones can point at them.
struct DNSWireWriter {
    private(set) var bytes: [UInt8] = []
    /// Offsets of names already written, keyed by their lowercased labels; `nil` turns compression off.
    private var written: [[[UInt8]]: Int]?

    init(compress: Bool) {
        written = compress ? [:] : nil
        bytes.reserveCapacity(512)
    }

    mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func writeUInt32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8((value >> UInt32(shift)) & 0xFF))
        }
    }

    mutating func writeBytes(_ value: [UInt8]) {
        bytes.append(contentsOf: value)
    }

    /// Overwrites the two bytes at `offset` (a length written before its data was known).
    mutating func patchUInt16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    /// Writes `name`, as a pointer to an earlier copy of its longest known suffix when `compressible`.
    mutating func writeName(_ name: DNSName, compressible: Bool) {
        let labels = name.labels
        for start in labels.indices {
            let suffix = labels[start...].map(DNSName.lowercased)
            if compressible, let target = written?[suffix] {
                writeUInt16(0xC000 | UInt16(target))
                return
            }
            // Pointers hold 14 bits: names written further in cannot be targets.
            if written != nil, bytes.count < 0x4000 {
                written?[suffix] = bytes.count
            }
            writeUInt8(UInt8(labels[start].count))
            writeBytes(labels[start])
        }
        writeUInt8(0)
    }
}
