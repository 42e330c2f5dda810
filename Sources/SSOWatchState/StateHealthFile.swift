import Foundation
import SSOWatchConfig
import SSOWatchModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether the daemon's latest state write succeeded: what `status --json` shows as `state`.
public struct StateHealth: Sendable, Equatable {
    /// When the state was last written successfully.
    public var lastSaved: Date?
    /// Why the latest write failed; `nil` once one succeeds again.
    public var lastError: String?

    /// Creates a health record.
    public init(lastSaved: Date? = nil, lastError: String? = nil) {
        self.lastSaved = lastSaved
        self.lastError = lastError
    }
}

/// `STATE_FILE.health`: the daemon's latest `StateHealth`, readable by `ssowatch status` while the state
/// file itself cannot be written. The file is allocated once, at the first save, with room for the longest record
/// (`size` bytes), and every update overwrites it in place with `pwrite`: on a full disk no new block is
/// needed, so the failure that keeps the state from being saved is still shown.
///
/// Contents: one JSON object padded with spaces, `{"last_error":…,"last_saved":…}` (dates as seconds since
/// 2001-01-01, like the state file).
final class StateHealthFile: Sendable {
    /// The file's fixed size: a record, error included, always fits (longer errors are cut).
    static let size = 4096
    /// The longest error kept, in UTF-8 bytes.
    static let errorLimit = 3000

    static func path(for statePath: String) -> String { statePath + ".health" }

    private let fd: Int32

    /// Opens (creating and allocating) the health file of the state file at `statePath`; `nil` when it
    /// cannot be made — the daemon then only logs and shows failures in `STATUS=`.
    init?(statePath: String) {
        let fd = open(Self.path(for: statePath), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return nil }
        guard posix_fallocate(fd, 0, off_t(Self.size)) == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Overwrites the record in place; false when the write failed.
    @discardableResult
    func write(_ health: StateHealth) -> Bool {
        var bytes = Self.encode(health)
        guard bytes.count <= Self.size else { return false }
        bytes += [UInt8](repeating: UInt8(ascii: " "), count: Self.size - bytes.count)
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return written == Self.size
    }

    /// The record as written (without padding).
    static func encode(_ health: StateHealth) -> [UInt8] {
        var error = health.lastError.map { String(decoding: Array($0.utf8.prefix(errorLimit)), as: UTF8.self) }
        if let cut = error, cut.utf8.count < (health.lastError?.utf8.count ?? 0) { error = cut + "…" }
        var writer = StateJSONWriter.Writer()
        writer.raw("{\"last_error\":")
        if let error { writer.string(error) } else { writer.raw("null") }
        writer.raw(",\"last_saved\":")
        if let saved = health.lastSaved { writer.date(saved) } else { writer.raw("null") }
        writer.raw("}\n")
        return writer.out
    }

    /// The record of the state file at `statePath`, or `nil` when there is none (no daemon ever ran with
    /// this state, or an older one did) or it cannot be read.
    static func read(statePath: String) -> StateHealth? {
        guard case .success(let bytes) = StateFileIO.readAll(path: path(for: statePath)) else { return nil }
        return try? JSONByteReader.read(bytes) { (reader) throws(JSONReadError) in
            var lastError: String?? = .none
            var lastSaved: Date?? = .none
            try reader.object { (reader, key) throws(JSONReadError) in
                switch key {
                case "last_error": try reader.onceOptional(&lastError, JSONByteReader.string)
                case "last_saved": try reader.onceOptional(&lastSaved, JSONByteReader.date)
                default: try reader.skipValue()
                }
            }
            return StateHealth(lastSaved: lastSaved ?? nil, lastError: lastError ?? nil)
        }
    }
}
