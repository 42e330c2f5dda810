/// A small deterministic generator (a 64-bit LCG): a generated input that fails a test reproduces.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A number in `0..<bound`.
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
}

/// `count` copies of the JSON text `original`, each with one to four edits: a byte replaced by one of JSON's
/// token characters, a byte deleted, or such a character inserted. For checking a fast reader against the
/// full decoder on input that is almost right.
func damagedCopies(of original: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
    let alphabet = Array("{}[]\":,0123456789.-eE \\unlltrue".utf8)
    var random = TestRandom(seed: seed)
    return (0..<count).map { _ in
        var bytes = original
        for _ in 0...random.next(3) {
            let position = random.next(bytes.count)
            switch random.next(3) {
            case 0: bytes[position] = alphabet[random.next(alphabet.count)]
            case 1: bytes.remove(at: position)
            default: bytes.insert(alphabet[random.next(alphabet.count)], at: position)
            }
        }
        return bytes
    }
}
