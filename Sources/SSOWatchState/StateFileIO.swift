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

/// The POSIX calls behind `StateFile`, kept apart so the atomic-write protocol reads in one place.
enum StateFileIO {
    /// The OS's description of an `errno` value, e.g. `Permission denied (errno 13)`.
    static func message(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// A failed system call's `errno`.
    struct OSError: Error {
        var code: Int32
    }

    /// The whole file, or the `errno` of the first call that failed.
    static func readAll(path: String) -> Result<[UInt8], OSError> {
        FileContents.read(path: path).mapError { failure in
            switch failure {
            case .system(let code): OSError(code: code)
            case .tooLarge: OSError(code: EFBIG)
            case .notRegularFile: OSError(code: EINVAL)  // not asked for here
            }
        }
    }

    /// Replaces `path` with `bytes`: temporary file (O_CREAT|O_EXCL, 0600) in the same directory,
    /// full write, fsync, rename over `path`, fsync of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(StateFileError) {
        try writeAtomically(to: path) { fd throws(StateFileError) in try writeFully(fd, bytes, path: path) }
    }

    /// `writeAtomically`, with the contents written by `write` to the temporary file's descriptor (so a large
    /// file need not be held in memory whole). An error from `write` leaves `path` as it was.
    static func writeAtomically(
        to path: String, _ write: (Int32) throws(StateFileError) -> Void
    ) throws(StateFileError) {
        let directory = parentDirectory(of: path)
        try createDirectory(directory, for: path)
        let name = path.split(separator: "/").last.map(String.init) ?? "state.json"
        let suffix = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let temporary = "\(directory)/.\(name).tmp-\(suffix)"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(path, "creating \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do throws(StateFileError) {
            // The umask may only remove bits; set the mode explicitly so it is exactly 0600.
            guard fchmod(fd, 0o600) == 0 else { throw failure(path, "setting the mode of \(temporary)") }
            try write(fd)
            guard fsync(fd) == 0 else { throw failure(path, "fsync of \(temporary)") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure(path, "closing \(temporary)") }
        guard rename(temporary, path) == 0 else { throw failure(path, "renaming \(temporary) over it") }
        renamed = true
        try syncDirectory(directory, for: path)
    }

    static func writeFully(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StateFileError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(path, "writing")
            }
            offset += written
        }
    }

    private static func syncDirectory(_ directory: String, for path: String) throws(StateFileError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "opening directory \(directory) to fsync it") }
        defer { close(fd) }
        // Some file systems cannot fsync a directory (EINVAL); the rename is as durable as they allow.
        guard fsync(fd) == 0 || errno == EINVAL else { throw failure(path, "fsync of directory \(directory)") }
    }

    /// Creates `directory` and any missing parents with mode 0700.
    static func createDirectory(_ directory: String, for path: String) throws(StateFileError) {
        var info = stat()
        if stat(directory, &info) == 0 { return }
        guard errno == ENOENT else { throw failure(path, "checking directory \(directory)") }
        let parent = parentDirectory(of: directory)
        if parent != directory { try createDirectory(parent, for: path) }
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw failure(path, "creating directory \(directory)")
        }
    }

    /// `a/b/c` → `a/b`; `c` → `.`; `/c` → `/`.
    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let parent = trimmed[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }

    private static func failure(_ path: String, _ step: String) -> StateFileError {
        .writeFailed(path: path, step: step, reason: message(errno))
    }
}
