import Foundation

/// A fresh directory for one test (configuration, secret files, state, sockets), removed by
/// `withTemporaryDirectory` or `remove()`.
final class TemporaryDirectory: Sendable {
    /// The directory's absolute path. It is short (under `/tmp` unless `$TMPDIR` is short too), so a
    /// socket path inside it fits in `sockaddr_un`.
    let path: String

    /// Creates a new, empty directory readable only by this user.
    init(prefix: String = "ssowatch-test") throws {
        let environmentBase = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let base = environmentBase.count <= 40 ? environmentBase : "/tmp"
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast())
        template += Array("\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        guard let created else {
            throw HarnessError("could not create a temporary directory in \(base): errno \(errno)")
        }
        path = created
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String {
        path + "/" + name
    }

    /// Writes `contents` to `name` with permission bits `mode` (default 0600) and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String, mode: Int = 0o600) throws -> String {
        let file = path(name)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    /// The text of `name`.
    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    /// Whether `name` exists.
    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }

    /// Removes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a new temporary directory and removes it afterwards, whatever happens.
func withTemporaryDirectory<T>(
    prefix: String = "ssowatch-test", _ body: (TemporaryDirectory) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory(prefix: prefix)
    defer { directory.remove() }
    return try await body(directory)
}
