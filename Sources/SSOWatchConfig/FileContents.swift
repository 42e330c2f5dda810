#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads whole files: the configuration, secret files, the state file and its journal.
///
/// The buffer is sized from `fstat` and left uninitialised: the start-up profile with 1,000 accounts
/// showed a fifth of the configuration's load time zero-filling a 64 KiB buffer for each 40-byte token
/// file (BENCHMARKS.md).
package enum FileContents {
    /// Why a read failed.
    package enum Failure: Error, Equatable {
        /// A system call failed with this `errno`.
        case system(Int32)
        /// The file is larger than the limit.
        case tooLarge
        /// The path (after symbolic links) is not a regular file; the associated value says what it is,
        /// e.g. `a FIFO`.
        case notRegularFile(String)
    }

    /// The bytes of the file at `path`; with `limit`, fails with `tooLarge` beyond it rather than read on
    /// (a path such as `/dev/zero` has no end).
    /// - Parameter regularFileOnly: refuse anything but a regular file (a symbolic link to one is fine)
    ///   before reading: opening a FIFO without a writer blocks forever, and a device has no business
    ///   being a configuration or a secret.
    package static func read(path: String, limit: Int? = nil, regularFileOnly: Bool = false) -> Result<[UInt8], Failure>
    {
        var info = stat()
        if regularFileOnly {
            // Checked before `open`, so a FIFO or a device is never opened at all.
            guard stat(path, &info) == 0 else { return .failure(.system(errno)) }
            if let kind = nonRegularKind(info.st_mode) { return .failure(.notRegularFile(kind)) }
        }
        // O_NONBLOCK: a path replaced by a FIFO after the `stat` still opens at once, and `fstat` refuses it.
        // Reads of a regular file ignore the flag. O_NOCTTY: a terminal never becomes ours.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (regularFileOnly ? O_NONBLOCK : 0))
        guard fd >= 0 else { return .failure(.system(errno)) }
        defer { close(fd) }
        let described = fstat(fd, &info) == 0
        if regularFileOnly, described, let kind = nonRegularKind(info.st_mode) {
            return .failure(.notRegularFile(kind))
        }
        let size = described && info.st_size > 0 ? Int(info.st_size) : 0
        // One more byte than the size, so a file read whole is recognised by the next read returning 0.
        let chunk = min(max(size + 1, 4096), 1 << 20)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 1)
        defer { buffer.deallocate() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(size + 1, limit.map { $0 + 1 } ?? Int.max))
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, chunk)
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.system(errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: buffer[0..<count])
            if let limit, bytes.count > limit { return .failure(.tooLarge) }
        }
    }

    /// What a file of mode `mode` is when it is not a regular file (`a FIFO`, `a directory`), else `nil`.
    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFIFO: "a FIFO"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        default: "of an unknown kind"
        }
    }
}
