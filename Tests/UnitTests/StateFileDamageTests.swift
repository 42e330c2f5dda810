import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

/// Hostile state files: truncated, empty or not JSON, and every kind of version (see
/// `HostileStateFileSuite`).
@Suite struct StateFileDamageTests: HostileStateFileSuite {
    @Test func theRealFileLoadsExactly() throws {
        try withStateFile(try Self.realFile()) { path, _ in
            let loaded = try StateFile.load(path: path, now: F.t0)
            #expect(loaded.outcome == .loaded)
            #expect(loaded.document == Self.realDocument)
        }
    }

    @Test(arguments: 1...9)
    func aFileTruncatedAtEveryTenthIsMovedAside(tenths: Int) throws {
        let file = try Self.realFile()
        #expect(file.count > 2_000, "a file large enough that each tenth cuts somewhere different")
        let reason = try #require(try expectMovedAside(Array(file.prefix(file.count * tenths / 10))))
        #expect(reason.hasPrefix("not valid JSON at byte "), "\(reason)")
    }

    @Test func aFileMissingOnlyItsLastByteIsMovedAside() throws {
        try expectMovedAside(Array(try Self.realFile().dropLast()))
    }

    @Test(arguments: ["", " ", "\n\n\n", "\t\r\n \r\n"])
    func anEmptyOrBlankFileIsMovedAsideAsEmpty(text: String) throws {
        #expect(try expectMovedAside(Array(text.utf8)) == "the file is empty")
    }

    static let notJSON: [[UInt8]] = [
        Array(0...255).map(UInt8.init), [UInt8](repeating: 0, count: 100), [0xEF, 0xBB, 0xBF], Array("state: 1\n".utf8),
        Array("{'version': 1}".utf8), Array("{\"version\": 1, /* comment */ \"accounts\": {}}".utf8),
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{}} trailing".utf8),
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{}}{\"version\":1}".utf8),
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{}}\u{0}".utf8),
        Array("{\"version\":NaN}".utf8),
        // A lone surrogate: no Swift string holds one, so ssowatch never writes it.
        Array("{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{\"\\ud800\":{\"failing\":true}}}".utf8),
        Array(("{\"version\":1,\"x\":" + String(repeating: "[", count: 100_000)).utf8),
        Array(
            ("{\"version\":1,\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
                + "}").utf8),
    ]

    @Test(arguments: notJSON)
    func bytesThatAreNotJSONAreMovedAside(bytes: [UInt8]) throws {
        let reason = try #require(try expectMovedAside(bytes))
        #expect(reason.hasPrefix("not valid JSON at byte "), "\(reason)")
    }

    @Test func whereTheFileStopsBeingJSONIsNamed() throws {
        #expect(
            try expectMovedAside(Array("{\"version\": 1,\n 'accounts': {}}".utf8))
                == "not valid JSON at byte 17: expected a key in quotes")
        #expect(
            try expectMovedAside(Array("{\"version\": 1, \"accounts\": {".utf8))
                == "not valid JSON at byte 29: the text ends early (expected a key in quotes)")
        #expect(
            try expectMovedAside(Array("{\"version\": 1} x".utf8))
                == "not valid JSON at byte 16: expected the end of the text")
    }

    @Test(arguments: ["[]", "null", "true", "42", "\"state\"", "[{\"version\":1}]"])
    func jsonThatIsNotAnObjectIsMovedAside(text: String) throws {
        let reason = try #require(try expectMovedAside(Array(text.utf8)))
        #expect(reason.hasPrefix("expected an object, found "), "\(reason)")
        #expect(reason.hasSuffix(" at the top level"), "\(reason)")
    }

    // MARK: - Versions

    @Test(arguments: ["0", "-1", "-9223372036854775808"])
    func aVersionBelowOneIsMovedAside(version: String) throws {
        let reason = try expectMovedAside(try Self.realFile(version: version))
        #expect(reason == "unknown format version \(version)")
    }

    @Test(arguments: [
        ("\"1\"", "a string"), ("true", "a boolean"), ("1.5", "1.5"), ("[1]", "an array"), ("{}", "an object"),
    ])
    func aVersionThatIsNotAWholeNumberIsMovedAside(version: String, found: String) throws {
        let reason = try expectMovedAside(try Self.realFile(version: version))
        #expect(reason == "expected an integer, found \(found) at version")
    }

    @Test(arguments: ["1e400", "9223372036854775808"])
    func aVersionTooLargeForAnyFormatIsMovedAside(version: String) throws {
        #expect(try expectMovedAside(Array("{\"version\":\(version)}".utf8)) == "unknown format version \(version)")
    }

    @Test func aNullVersionIsMissing() throws {
        #expect(try expectMovedAside(try Self.realFile(version: "null")) == "missing key \"version\"")
    }

    @Test(arguments: [2, 3, 1_000, Int.max])
    func aNewerVersionOfARealFileIsRefusedAndLeftUntouched(version: Int) throws {
        try expectRefused(try Self.realFile(version: "\(version)"), found: version)
    }

    @Test(arguments: [
        "{\"version\":2}", "{\"version\":2,\"accounts\":7,\"outbox\":\"later\"}", "{\"version\":2.0}",
        "\u{FEFF}{\"version\":2,\"accounts\":{}}", "{\"accounts\":{\"x\":[]},\"version\":2,\"shards\":[1,2,3]}",
    ])
    func aNewerVersionIsRefusedWhateverElseTheFileHolds(text: String) throws {
        // A newer format may look like anything; only its version is understood.
        try expectRefused(Array(text.utf8), found: 2)
    }

    @Test func duplicateVersionKeysAreReadConsistently() throws {
        // JSON leaves duplicate keys undefined; the version check and the decoder must agree on which
        // one counts, so a file is never half-read as version 1 and half as version 2.
        for text in [
            "{\"version\":1,\"accounts\":{},\"outbox\":[],\"webhooks\":{},\"version\":2}",
            "{\"version\":2,\"accounts\":{},\"outbox\":[],\"webhooks\":{},\"version\":1}",
        ] {
            try withStateFile(Array(text.utf8)) { path, directory in
                do {
                    let loaded = try StateFile.load(path: path, now: F.t0)
                    #expect(loaded.outcome == .loaded, "\(text)")
                    #expect(loaded.document.version == 1)
                } catch {
                    #expect(
                        error as? StateFileError == .newerVersion(found: 2, supported: 1, path: path), "\(text)")
                    #expect(fileBytes(path) == Array(text.utf8))
                }
                #expect(directoryContents(directory) == ["state.json"], "never moved aside: \(text)")
            }
        }
    }
}
