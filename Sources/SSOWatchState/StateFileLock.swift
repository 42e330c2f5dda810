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

/// One daemon per state file: an exclusive `flock` on `STATE_FILE.lock`, a file beside the state file that
/// holds the owner's pid and is never deleted (deleting it would let a second daemon lock a new file while
/// the first still holds the old one). The lock lives as long as its descriptor: until the process exits,
/// however it exits, so a crashed daemon never leaves a stale lock.
final class StateFileLock: Sendable {
    /// The lock file of the state file at `statePath`.
    static func path(for statePath: String) -> String { statePath + ".lock" }

    private let fd: Int32

    /// Takes the lock of the state file at `statePath`, creating the lock file (and its directory) if needed.
    /// - Throws: `StateFileError.locked` naming the holder's pid when another process has it.
    init(statePath: String) throws(StateFileError) {
        let lockPath = Self.path(for: statePath)
        do {
            try StateFileIO.createDirectory(StateFileIO.parentDirectory(of: statePath), for: statePath)
        } catch {
            throw .lockFailed(path: statePath, lockPath: lockPath, reason: "\(error)")
        }
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw .lockFailed(path: statePath, lockPath: lockPath, reason: StateFileIO.message(errno))
        }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let code = errno
            let holder = Self.readPID(fd)
            close(fd)
            if code == EWOULDBLOCK {
                throw .locked(path: statePath, lockPath: lockPath, pid: holder)
            }
            throw .lockFailed(path: statePath, lockPath: lockPath, reason: StateFileIO.message(code))
        }
        // Ours now: say who holds it. A failure here only makes the message of a second daemon vaguer.
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// The pid a lock file names, if it holds one.
    private static func readPID(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Removes the temporary files an interrupted atomic write left beside the state file at `statePath`
    /// (`.state.json.tmp-…`, `.state.json.journal.tmp-…`, …). Call only while holding the lock: another
    /// daemon's write in progress would otherwise lose its file. Returns the names removed.
    @discardableResult
    static func removeLeftoverTemporaryFiles(statePath: String) -> [String] {
        let directory = StateFileIO.parentDirectory(of: statePath)
        let base = statePath.split(separator: "/").last.map(String.init) ?? "state.json"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names where isTemporaryName(name, of: base) {
            if unlink("\(directory)/\(name)") == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// `.BASE.tmp-HEX16` or `.BASE.SUFFIX.tmp-HEX16` (the journal's and others'), as `StateFileIO` names them.
    static func isTemporaryName(_ name: String, of base: String) -> Bool {
        guard name.hasPrefix("." + base + "."), let marker = name.range(of: ".tmp-", options: .backwards) else {
            return false
        }
        let suffix = name[marker.upperBound...]
        return suffix.count == 16 && suffix.allSatisfy(\.isHexDigit)
    }
}
