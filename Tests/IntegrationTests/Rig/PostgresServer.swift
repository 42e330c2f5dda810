import Foundation
import SSOWatchTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL for one test (docs/HA.md tests): `initdb` in a fresh temporary directory, `postgres`
/// listening on 127.0.0.1 at a free port with trust authentication for the role `ssowatch`, stopped with
/// `pg_ctl stop -m immediate` and removed afterwards.
///
/// initdb refuses to run as root: as root the server runs as the `postgres` user (or `nobody`) through
/// `runuser`, its directory owned by that user. Where it cannot run at all (no PostgreSQL binaries, root
/// without `runuser`), `withPostgres` prints "skipped because …" and the test passes without its body.
final class PostgresServer: Sendable {
    let directory: String
    let port: Int
    let binaries: String
    /// The user the server runs as (`nil`: this process's user).
    let user: String?

    /// The role tests and daemons connect as.
    static let role = "ssowatch"

    /// Why no server can run here; `nil` when one can.
    static let unavailableReason: String? = {
        guard findBinaries() != nil else {
            return "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        }
        if getuid() == 0 {
            guard
                FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")
                    || FileManager.default.isExecutableFile(atPath: "/sbin/runuser")
            else { return "running as root without runuser, and initdb refuses to run as root" }
            guard serviceUser() != nil else { return "running as root with neither a postgres nor a nobody user" }
        }
        return nil
    }()

    static func findBinaries() -> String? {
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return versions.compactMap(Int.init).sorted().reversed().lazy.map { "\(base)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    static func serviceUser() -> String? {
        for name in ["postgres", "nobody"] where getpwnam(name) != nil { return name }
        return nil
    }

    /// Creates the cluster (not started yet: `start()`).
    static func create() async throws -> PostgresServer {
        let server = try PostgresServer()
        do {
            try await server.run(
                "initdb", ["-D", "\(server.directory)/data", "-U", role, "--auth=trust", "--no-sync", "-E", "UTF8"])
        } catch {
            server.remove()
            throw error
        }
        return server
    }

    private init() throws {
        guard let binaries = Self.findBinaries() else { throw HarnessError(Self.unavailableReason ?? "no PostgreSQL") }
        self.binaries = binaries
        user = getuid() == 0 ? Self.serviceUser() : nil
        var template = Array("/tmp/ssowatch-pg-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        guard let created else { throw HarnessError("could not create a temporary directory: errno \(errno)") }
        directory = created
        port = try freeLoopbackPort()
        if let user, let account = getpwnam(user) {
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw HarnessError("could not give \(directory) to \(user): errno \(errno)")
            }
        }
    }

    /// `postgresql://ssowatch:PASSWORD@127.0.0.1:PORT/DB`. Trust authentication never asks for the password:
    /// it is there for tests to check that it appears nowhere.
    func url(database: String = "ssowatch") -> String {
        "postgresql://\(Self.role):\(Self.password)@127.0.0.1:\(port)/\(database)"
    }

    /// The password in `url`.
    static let password = "pw-n0t-for-logs"

    /// Starts the server and waits until it accepts connections.
    func start() async throws {
        try await run(
            "pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "30", "-o",
                "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off -c full_page_writes=off",
                "start",
            ])
    }

    /// Stops the server at once (no checkpoint).
    func stop() async {
        _ = try? await run("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "-t", "30", "stop"])
    }

    /// Creates a database.
    func createDatabase(_ name: String) async throws {
        _ = try await psql("CREATE DATABASE \(name)", database: "postgres")
    }

    /// Runs `sql` with psql and returns its unaligned output.
    @discardableResult
    func psql(_ sql: String, database: String = "ssowatch") async throws -> String {
        try await run(
            "psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.role,
                "-d", database, "-c", sql,
            ], path: FileManager.default.isExecutableFile(atPath: "\(binaries)/psql") ? nil : "/usr/bin/psql"
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The last lines of the server's log, for failure messages.
    func logTail() -> String {
        let text = (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs one of the binaries (as `user` when set) and returns its standard output; throws with its
    /// standard error when it fails. Each run has a deadline of 60 s. It waits on a thread of its own, never
    /// on one of the test runner's cooperative threads (two tests starting servers would stall every other
    /// test).
    @discardableResult
    private func run(_ tool: String, _ arguments: [String], path: String? = nil) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try self.runBlocking(tool, arguments, path: path) })
            }.start()
        }
    }

    private func runBlocking(_ tool: String, _ arguments: [String], path: String?) throws -> String {
        let executable = path ?? "\(binaries)/\(tool)"
        let (program, argv) =
            user.map { ("/usr/sbin/runuser", ["-u", $0, "--", executable] + arguments) } ?? (executable, arguments)
        let child = try SpawnedChild.spawn(
            executable: program, arguments: argv, environment: childEnvironment(["PGTZ": "UTC"]), pipeStdin: false)
        // Both pipes are read at once (a full one would stall the child), each to its end.
        let output = Observed<[Int32: [UInt8]]>([:])
        let readers = [child.stdout, child.stderr].map { fd in
            Thread {
                var bytes: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    bytes += chunk[..<count]
                }
                close(fd)
                output.update { $0[fd] = bytes }
            }
        }
        for reader in readers { reader.start() }
        let deadline = Date().addingTimeInterval(60)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(child.pid, &status, WNOHANG)
            if reaped == child.pid { break }
            if reaped < 0 && errno != EINTR { throw HarnessError("waitpid for \(tool) failed: errno \(errno)") }
            guard Date() < deadline else {
                kill(child.pid, SIGKILL)
                throw HarnessError("\(tool) did not finish within 60 s")
            }
            usleep(10_000)
        }
        while output.value.count < 2 && Date() < deadline { usleep(5_000) }
        let stdout = String(decoding: output.value[child.stdout] ?? [], as: UTF8.self)
        let stderr = String(decoding: output.value[child.stderr] ?? [], as: UTF8.self)
        let exited = status & 0x7f == 0
        guard exited && (status >> 8) & 0xff == 0 else {
            throw HarnessError("\(tool) \(arguments.joined(separator: " ")) failed (status \(status)): \(stderr)")
        }
        return stdout
    }
}

/// Runs `body` with a started PostgreSQL (database `ssowatch` created), stopped and removed afterwards
/// whatever happens. Where no server can run, prints "skipped because …" and returns `nil`.
@discardableResult
func withPostgres<T>(_ test: String = #function, _ body: (PostgresServer) async throws -> T) async throws -> T? {
    if let reason = PostgresServer.unavailableReason {
        print("\(test): skipped because \(reason)")
        return nil
    }
    let server = try await PostgresServer.create()
    do {
        try await server.start()
        try await server.createDatabase("ssowatch")
        let result = try await body(server)
        await server.stop()
        server.remove()
        return result
    } catch {
        await server.stop()
        server.remove()
        throw error
    }
}
