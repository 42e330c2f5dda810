#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the configuration loader needs from the file system: the configuration file and secret files.
/// Tests pass an in-memory fake.
public protocol ConfigFileSystem: Sendable {
    /// The whole content of a regular file (or of a symbolic link to one); anything else, such as a FIFO
    /// that would block the read until a writer comes, is refused.
    /// - Throws: any error; its `description` is shown after `cannot read PATH:` so it should be short
    ///   (`No such file or directory`) and must not contain the file's content.
    func readFile(_ path: String) throws -> [UInt8]
    /// The permission bits (`st_mode & 0o7777`) of a file, or `nil` when they cannot be read.
    func permissions(_ path: String) -> UInt16?
}

/// Why a file could not be read: the system's reason, such as `No such file or directory`.
public struct ConfigFileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason, without the path (the caller names the file).
    public var reason: String

    /// Creates an error.
    public init(reason: String) { self.reason = reason }

    /// A POSIX error number, described with `strerror`.
    public init(errno code: Int32) { self.reason = String(cString: strerror(code)) }

    public var description: String { reason }
}

/// The real file system, through POSIX calls so that errors carry the system's reason.
public struct RealConfigFileSystem: ConfigFileSystem {
    /// Files larger than this are refused: a configuration or a secret is small, and a path such as
    /// `/dev/zero` must not make the loader read forever.
    public static let maximumFileSize = 16 * 1024 * 1024

    /// Creates the real file system.
    public init() {}

    public func readFile(_ path: String) throws -> [UInt8] {
        switch FileContents.read(path: path, limit: Self.maximumFileSize, regularFileOnly: true) {
        case .success(let bytes): return bytes
        case .failure(.system(let code)): throw ConfigFileSystemError(errno: code)
        case .failure(.notRegularFile(let kind)):
            throw ConfigFileSystemError(reason: "not a regular file (it is \(kind))")
        case .failure(.tooLarge):
            throw ConfigFileSystemError(reason: "file is larger than \(Self.maximumFileSize / 1024 / 1024) MiB")
        }
    }

    public func permissions(_ path: String) -> UInt16? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt16(truncatingIfNeeded: info.st_mode & 0o7777)
    }
}
