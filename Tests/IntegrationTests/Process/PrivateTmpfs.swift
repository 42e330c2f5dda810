import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small tmpfs that only some processes see, to fill a daemon's disk for real (`ENOSPC`) without
/// touching the machine's file systems.
///
/// A holder process, `unshare -m --propagation private sh -c 'mount -t tmpfs …; exec sleep 3600'`, makes a
/// private mount namespace and mounts the tmpfs on `mountPoint` there; outside it, `mountPoint` stays an
/// empty directory. Processes join the namespace with `nsenter -t HOLDER -m`, so the file system outlives
/// a daemon's restart. This process reaches it through `/proc/HOLDER/root/MOUNTPOINT` (`outside`). When
/// the holder and the processes in the namespace are gone, the kernel unmounts it.
struct PrivateTmpfs: Sendable {
    /// The `unshare` process that holds the namespace (it became `sleep`).
    let holder: SSOWatchProcess
    /// The mount point: where the tmpfs is inside the namespace.
    let mountPoint: String
    /// `nsenter`, which starts processes inside the namespace.
    let nsenter: URL

    /// The path of `name` on the tmpfs as processes in the namespace see it.
    func path(_ name: String) -> String { mountPoint + "/" + name }

    /// The path of `name` on the tmpfs as this process reaches it (from outside the namespace).
    func outside(_ name: String = "") -> String {
        "/proc/\(holder.pid)/root" + mountPoint + (name.isEmpty ? "" : "/" + name)
    }

    /// Starts the built `ssowatch` with `arguments` inside the namespace. `nsenter` execs it without
    /// forking, so the returned process is `ssowatch` itself (signals reach it, its exit status is its own).
    func startSSOWatch(_ arguments: [String], environment: [String: String] = [:]) throws -> SSOWatchProcess {
        try SSOWatchProcess.start(
            ["-t", "\(holder.pid)", "-m", "--", SSOWatchExecutable.url().path] + arguments, environment: environment,
            executable: nsenter)
    }

    /// Runs `ssowatch arguments` inside the namespace around `body`; killed and reaped afterwards if still
    /// running, whatever happens.
    func withSSOWatch<T>(
        _ arguments: [String], environment: [String: String] = [:], _ body: (SSOWatchProcess) async throws -> T
    ) async throws -> T {
        try await startSSOWatch(arguments, environment: environment).reaped(after: body)
    }

    /// Writes `name` (default `filler`) until the file system has no room left (`ENOSPC`); returns how
    /// many bytes it took.
    @discardableResult
    func fill(_ name: String = "filler") throws -> Int {
        let file = outside(name)
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HarnessError("cannot create \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: UInt8(ascii: "."), count: 65_536)
        var total = 0
        while true {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                total += written
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && errno == ENOSPC {
                return total
            } else {
                throw HarnessError("writing \(file) failed after \(total) bytes: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Deletes what `fill` wrote, giving the space back.
    func free(_ name: String = "filler") throws {
        guard unlink(outside(name)) == 0 else {
            throw HarnessError("cannot delete \(outside(name)): \(String(cString: strerror(errno)))")
        }
    }

    /// The bytes an unprivileged writer could still use on the tmpfs.
    func availableBytes() throws -> Int {
        var info = statvfs()
        guard statvfs(outside(), &info) == 0 else {
            throw HarnessError("statvfs(\(outside())) failed: \(String(cString: strerror(errno)))")
        }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// The names in the tmpfs's root directory, sorted.
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: outside()).sorted()
    }
}

/// Mounts a tmpfs of `size` (`2m`) on `directory/name` in a private mount namespace, runs `body` with it,
/// then ends the holder (which unmounts it) whatever happens.
///
/// Returns `nil` without running `body` where that is impossible (not root, no `unshare`/`nsenter`, no
/// right to make a mount namespace, as in an unprivileged container), after printing a line that starts
/// with "skipped because": the test that needs it then passes without having checked anything.
func withPrivateTmpfs<T>(
    in directory: TemporaryDirectory, name: String = "disk", size: String = "2m",
    _ body: (PrivateTmpfs) async throws -> T
) async throws -> T? {
    func skip(_ reason: String) -> T? {
        print("skipped because \(reason)")
        return nil
    }
    guard getuid() == 0 else { return skip("mounting a tmpfs needs root (CAP_SYS_ADMIN); running as uid \(getuid())") }
    guard let unshare = findExecutable("unshare"), let nsenter = findExecutable("nsenter") else {
        return skip("util-linux's unshare and nsenter are not on PATH")
    }
    let mountPoint = directory.path(name)
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
    let script = #"mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" && echo mounted && exec sleep 3600"#
    let holder = try SSOWatchProcess.start(
        ["-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", mountPoint, size], executable: unshare)
    do {
        do {
            try await holder.waitForOutput(containing: "mounted", in: .stdout, timeout: .seconds(15))
        } catch {
            guard !holder.isRunning else { throw error }
            let result = try await holder.waitForExit()
            let reason = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return skip("a private mount namespace with a tmpfs could not be made (\(reason))")
        }
        let result = try await body(PrivateTmpfs(holder: holder, mountPoint: mountPoint, nsenter: nsenter))
        try await holder.killAndReap()
        return result
    } catch {
        _ = try? await holder.killAndReap()
        throw error
    }
}

/// The first executable file called `name` in `$PATH` (or the usual system directories).
func findExecutable(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
    for directory in directories where !directory.isEmpty {
        let candidate = directory + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
    }
    return nil
}
