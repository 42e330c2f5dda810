import Foundation
import SSOWatchConfig
import SSOWatchModel

/// The state file's format (docs/STATE.md): `StateJSONWriter` is its one encoder and `StateJSONReader` its one
/// decoder; this says which values it holds and what a file's bytes amount to.
///
/// Dates are stored as JSON numbers: seconds since 2001-01-01T00:00:00Z, Foundation's reference date and a
/// `Date`'s own representation, so a date reads back bit for bit (an ISO 8601 string or Unix seconds would
/// round it). Keys are sorted so that successive files diff cleanly.
public enum StateCoding {
    /// The largest counter a state file may hold (failed polls, polls a connector was missing from,
    /// delivery attempts): counting on from it can never overflow.
    public static let maximumCount = Int(Int32.max)

    /// The dates a state file may hold, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z: any date ssowatch
    /// writes, and none that `ssowatch status` could not print or date arithmetic could not convert.
    public static let dateRange = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799)

    /// The document as the state file holds it.
    public static func encode(_ document: StateDocument) -> [UInt8] {
        StateJSONWriter.encode(document)
    }

    /// The document in a state file's bytes, of a version this build reads: what `StateFile.load` loads.
    /// - Throws: `StateDecodingError` with the reason `StateFile.load` gives for moving the file aside or
    ///   refusing it.
    public static func decode(_ bytes: [UInt8]) throws(StateDecodingError) -> StateDocument {
        switch contents(of: bytes) {
        case .document(let document): return document
        case .corrupt(let reason): throw StateDecodingError(description: reason)
        case .newerVersion(let found): throw StateDecodingError(description: "newer format version \(found)")
        }
    }

    /// What a state file's bytes hold.
    enum Contents: Equatable {
        /// A document of a version this build reads.
        case document(StateDocument)
        /// A damaged file: why, in one short line (`missing key "failing" in webhooks.ops`).
        case corrupt(String)
        /// A file written by a newer ssowatch, of this format version.
        case newerVersion(Int)
    }

    /// Reads a state file's bytes. The document is read in one pass; only when that fails is the file read
    /// again, to tell a newer version (refused, whatever else it holds) from damage, and to report the
    /// damage in order: empty, not JSON (anywhere in the file), no usable version, then the first wrong value.
    static func contents(of bytes: [UInt8]) -> Contents {
        let text = JSONByteReader.utf8Text(bytes)
        let failure: JSONReadError
        do throws(JSONReadError) {
            let document = try StateJSONReader.document(text)
            return check(version: document.version) ?? .document(document)
        } catch {
            failure = error
        }
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return .corrupt("the file is empty") }
        switch StateJSONReader.probeVersion(text) {
        case .unreadable(let reason): return .corrupt(reason)
        case .version(let version): return check(version: version) ?? .corrupt(failure.description)
        }
    }

    /// `nil` for a version this build reads.
    private static func check(version: Int) -> Contents? {
        if version > StateDocument.currentVersion { return .newerVersion(version) }
        if version < 1 { return .corrupt("unknown format version \(version)") }
        return nil
    }
}

/// Why bytes are not a state document this build reads, in one line (`missing key "failing" in webhooks.ops`).
public struct StateDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}
