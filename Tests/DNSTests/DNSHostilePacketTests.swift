import Testing

@testable import SSOWatchDNS

/// Packets built to break a decoder: each must throw the right `DNSWireError`, never trap or hang.
@Suite struct DNSHostilePacketTests {
    /// A header with the given counts (id 0xBEEF, a response).
    private func header(questions: UInt16 = 0, answers: UInt16 = 0, authority: UInt16 = 0, additional: UInt16 = 0)
        -> [UInt8]
    {
        [0xBE, 0xEF, 0x84, 0x00]
            + [questions, answers, authority, additional].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    private func expectFailure(
        _ kind: DNSWireError.Kind, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let message = try DNSMessage.decode(bytes)
            Issue.record("decoded \(message) instead of failing with \(kind)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func shortHeader() {
        expectFailure(.truncated, [0x12, 0x34, 0x81])
        expectFailure(.truncated, [])
    }

    @Test func pointerToItself() {
        // The question name at offset 12 is a pointer to offset 12.
        expectFailure(.badPointer, header(questions: 1) + [0xC0, 0x0C, 0x00, 0x10, 0x00, 0x01])
    }

    @Test func pointerIntoTheSameNameLoops() {
        // Label "a", then a pointer back to the name's own start.
        expectFailure(.badPointer, header(questions: 1) + [0x01, 0x61, 0xC0, 0x0C, 0x00, 0x10, 0x00, 0x01])
    }

    @Test func pointerForwardOrPastTheEnd() {
        expectFailure(.badPointer, header(questions: 1) + [0xC0, 0x40, 0x00, 0x10, 0x00, 0x01])
        expectFailure(.badPointer, header(questions: 1) + [0xFF, 0xFF, 0x00, 0x10, 0x00, 0x01])
    }

    @Test func twoPointersPointingAtEachOther() {
        // Answer 1 owner at 12: pointer to 14; answer 2 is never reached: 12 → 14 is forward.
        let record: [UInt8] = [0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 127, 0, 0, 1]
        expectFailure(.badPointer, header(answers: 1) + [0xC0, 0x0E, 0xC0, 0x0C] + record)
    }

    @Test func tooManyBackwardJumps() {
        // Inside an unknown record's data: a root name, then 70 pointers each to the previous one; a second
        // record's owner points at the last. Every jump goes backwards, but there are too many.
        var data: [UInt8] = [0x00]
        let dataStart = 12 + 1 + 10
        for index in 0..<70 {
            let target = index == 0 ? dataStart : dataStart + 1 + (index - 1) * 2
            data += [0xC0 | UInt8(target >> 8), UInt8(target & 0xFF)]
        }
        let last = dataStart + 1 + 69 * 2
        let first: [UInt8] = [
            0x00, 0xFF, 0x00, 0x00, 0x01, 0, 0, 0, 0, UInt8(data.count >> 8), UInt8(data.count & 0xFF),
        ]
        let second: [UInt8] =
            [0xC0 | UInt8(last >> 8), UInt8(last & 0xFF), 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 1, 2, 3, 4]
        expectFailure(.badPointer, header(answers: 2) + first + data + second)
    }

    @Test func reservedLabelTypes() {
        // 0x40 and 0x80 prefixes: a "label" longer than 63 or an obsolete extended label.
        expectFailure(.badLabel, header(questions: 1) + [0x40] + Array(repeating: 0x61, count: 64) + [0, 0, 16, 0, 1])
        expectFailure(.badLabel, header(questions: 1) + [0x80, 0x00, 0x00, 0x10, 0x00, 0x01])
    }

    @Test func nameLongerThan255Bytes() {
        let label: [UInt8] = [63] + Array(repeating: 0x61, count: 63)
        let name = Array([[UInt8]](repeating: label, count: 4).joined()) + [0x00]  // 257 bytes on the wire
        expectFailure(.nameTooLong, header(questions: 1) + name + [0x00, 0x10, 0x00, 0x01])
    }

    @Test func countsLargerThanTheData() {
        expectFailure(.truncated, header(answers: 0xFFFF))
        expectFailure(.truncated, header(questions: 2) + [0x00, 0x00, 0x10, 0x00, 0x01])
        expectFailure(.truncated, header(additional: 0xFFFF) + [0x00, 0x00, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0, 0])
    }

    @Test func recordDataShorterThanAnnounced() {
        expectFailure(.truncated, header(answers: 1) + [0x00, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 127, 0])
    }

    @Test func recordDataOfTheWrongSize() {
        expectFailure(
            .badRecordData, header(answers: 1) + [0x00, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x05, 1, 2, 3, 4, 5])
        expectFailure(
            .badRecordData, header(answers: 1) + [0x00, 0x00, 0x1C, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 1, 2, 3, 4])
    }

    @Test func txtStringPastItsRecord() {
        // Record data of 3 bytes whose string announces 10.
        let record: [UInt8] = [0x00, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x03, 0x0A, 0x61, 0x62]
        expectFailure(.badRecordData, header(answers: 1) + record + Array(repeating: 0x63, count: 20))
        expectFailure(.badRecordData, header(answers: 1) + [0x00, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x00])
    }

    @Test func nameInsideRecordDataEndsEarly() {
        // NS data of 4 bytes holding the 1-byte root name.
        expectFailure(
            .badRecordData, header(answers: 1) + [0x00, 0x00, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x04, 0, 0, 0, 0])
    }

    @Test func optRecordsMisplaced() {
        let opt: [UInt8] = [0x00, 0x00, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0x00, 0x00]
        expectFailure(.badOPT, header(additional: 2) + opt + opt)
        expectFailure(.badOPT, header(answers: 1) + opt)
        expectFailure(.badOPT, header(additional: 1) + [0x01, 0x61, 0x00] + opt.dropFirst())
        // An option whose length runs past the record.
        expectFailure(
            .badOPT,
            header(additional: 1) + [
                0x00, 0x00, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0x00, 0x05, 0x00, 0x0F, 0x00, 0x09, 0x00,
            ])
    }

    /// Every prefix and many byte flips of the captured answers decode or throw; none traps.
    @Test func prefixesAndMutationsOfRealPackets() {
        var generator = SplitMix64(seed: 0x5EED)
        for packet in CapturedPackets.answers {
            for length in 0..<packet.count {
                _ = try? DNSMessage.decode(Array(packet.prefix(length)))
            }
            for _ in 0..<300 {
                var mutated = packet
                for _ in 0..<3 {
                    mutated[Int(generator.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
                if let message = try? DNSMessage.decode(mutated) {
                    // Whatever decodes must encode again (names were validated when read).
                    #expect((try? message.encode()) != nil)
                }
            }
        }
    }
}

/// A small deterministic generator, so a failing mutation can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
