extension JSONByteReader {
    /// `bytes` as UTF-8 without a byte order mark. JSON may also come as UTF-16 or UTF-32, with or without a
    /// byte order mark (RFC 8259 and Foundation's readers accept them, e.g. a file saved by an editor); such
    /// text is converted, and text that cannot be is returned as it is (it then does not read as JSON).
    package static func utf8Text(_ bytes: [UInt8]) -> [UInt8] {
        guard let first = bytes.first, first == 0 || first >= 0xEF || (bytes.count > 1 && bytes[1] == 0) else {
            return bytes  // the usual case: UTF-8 without a BOM starts with an ASCII character
        }
        func at(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return Array(bytes.dropFirst(3)) }
        if bytes.starts(with: [0, 0, 0xFE, 0xFF]) { return converted(bytes.dropFirst(4), UTF32.self, bigEndian: true) }
        if bytes.starts(with: [0xFF, 0xFE, 0, 0]) {
            return converted(bytes.dropFirst(4), UTF32.self, bigEndian: false)
        }
        if bytes.starts(with: [0xFE, 0xFF]) { return converted(bytes.dropFirst(2), UTF16.self, bigEndian: true) }
        if bytes.starts(with: [0xFF, 0xFE]) { return converted(bytes.dropFirst(2), UTF16.self, bigEndian: false) }
        // Without a byte order mark, the zeros around the first (ASCII) character tell the encoding.
        switch (at(0), at(1), at(2), at(3)) {
        case (0, 0, 0, _?): return converted(bytes[...], UTF32.self, bigEndian: true)
        case (_?, 0, 0, 0): return converted(bytes[...], UTF32.self, bigEndian: false)
        case (0, _?, _, _): return converted(bytes[...], UTF16.self, bigEndian: true)
        case (_?, 0, _, _): return converted(bytes[...], UTF16.self, bigEndian: false)
        default: return bytes
        }
    }

    private static func converted<Codec: UnicodeCodec>(
        _ bytes: ArraySlice<UInt8>, _ codec: Codec.Type, bigEndian: Bool
    ) -> [UInt8] where Codec.CodeUnit: FixedWidthInteger {
        let width = MemoryLayout<Codec.CodeUnit>.size
        guard bytes.count % width == 0 else { return Array(bytes) }
        var units: [Codec.CodeUnit] = []
        units.reserveCapacity(bytes.count / width)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var unit: Codec.CodeUnit = 0
            for offset in 0..<width {
                let byte = Codec.CodeUnit(bytes[index + offset])
                unit |= byte << (8 * (bigEndian ? width - 1 - offset : offset))
            }
            units.append(unit)
            index += width
        }
        var out: [UInt8] = []
        out.reserveCapacity(units.count)
        let failed = Swift.transcode(
            units.makeIterator(), from: codec, to: UTF8.self, stoppingOnError: true, into: { out.append($0) })
        return failed ? Array(bytes) : out
    }
}
