import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchState

/// `trimmed(_:)` must give exactly what Foundation's `trimmingCharacters(in:)` gives.
@Suite struct TrimmingTests {
    private static let sets: [(TrimSet, CharacterSet)] = [
        (.whitespaces, .whitespaces),
        (.whitespacesAndCarriageReturn, CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\r"))),
        (.whitespacesAndNewlines, .whitespacesAndNewlines),
    ]

    /// ASCII and Unicode spaces and newlines, characters that join with what precedes (a combining accent)
    /// or follows (U+0600, a prepended mark), invisible non-spaces, and ordinary text.
    private static let pieces = [
        " ", "\t", "\r", "\n", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{3000}", "\u{2028}", "\u{2009}",
        "\u{301}", "\u{600}", "\u{200B}", "\u{FEFF}", "a", "é", "😀", "#", "=", "\"", "x y",
    ]

    @Test func agreesWithFoundationOnEveryMixOfEdges() {
        var random = TestRandom(seed: 0x7213_0EED)
        for _ in 0..<20_000 {
            let text = (0..<random.next(8)).map { _ in Self.pieces[random.next(Self.pieces.count)] }.joined()
            for (set, characters) in Self.sets {
                let expected = text.trimmingCharacters(in: characters)
                #expect(text.trimmed(set) == expected, "\(set) \(text.unicodeScalars.map { $0.value })")
                let inner = ("ab" + text + "cd").dropFirst(2).dropLast(2)
                #expect(inner.trimmed(set) == inner.trimmingCharacters(in: characters))
            }
        }
    }

    @Test func ordinaryValuesAreTrimmedOfASCIISpaceOnly() {
        #expect("  key \t".trimmed(.whitespaces) == "key")
        #expect(" value\r".trimmed(.whitespaces) == "value\r")
        #expect(" value\r".trimmed(.whitespacesAndCarriageReturn) == "value")
        #expect("token\n\n".trimmed(.whitespacesAndNewlines) == "token")
        #expect("\u{A0}token\u{3000}".trimmed(.whitespaces) == "token")
        #expect("".trimmed(.whitespaces) == "")
    }
}
