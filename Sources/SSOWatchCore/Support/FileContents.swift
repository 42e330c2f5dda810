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
enum FileContents {
    /// Why a read failed.
    enum Failure: Error, Equatable {
        /// A system call failed with this `errno`.
        case system(Int32)
        /// The file is larger than the limit.
        case tooLarge
    }

    /// The bytes of the file at `path`; with `limit`, fails with `tooLarge` beyond it rather than read on
    /// (a path such as `/dev/zero` has no end).
    static func read(path: String, limit: Int? = nil) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.system(errno)) }
        defer { close(fd) }
        var info = stat()
        let size = fstat(fd, &info) == 0 && info.st_size > 0 ? Int(info.st_size) : 0
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
}
