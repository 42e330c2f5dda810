import Foundation
import Logging
import PostgresNIO
import SSOWatchConfig
import SSOWatchState
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The leadership of an active/passive pair (docs/HA.md): a session advisory lock on a connection of its own
/// (never a pooled one, which would hand the session and its lock to someone else).
///
/// Campaigning: connect (creating or checking the schema), then try the lock every `retryInterval`; while
/// another instance holds it, report `standby: leader is HOST (pid N)` from the `ssowatch_leader` row. Once
/// taken: increment the epoch and write the leader row in one transaction, fence the store to that epoch, and
/// report `leader`. Leading: a heartbeat every `heartbeatInterval`, each with a deadline of `heartbeatTimeout`,
/// proves the lock is still held and the epoch unchanged; when it fails, or the connection closes, the lease is
/// dropped at once (`isHeld` false, the store fenced off) before the change is reported, the connection
/// closed, and the campaign starts again.
public final class PostgresLeadership: LeadershipLease {
    let url: PostgresURL
    let logger: Logger
    let store: PostgresStateStore
    let host: String
    let pid: Int

    /// How often a standby tries the lock, and how soon a failed connection is tried again.
    let retryInterval: Duration = .seconds(2)
    let heartbeatInterval: Duration = .seconds(2)
    let heartbeatTimeout: TimeInterval = 5

    private struct Shared {
        var held = false
        var lastBeat: ContinuousClock.Instant?
        var resignReason: String?
        var stopped = false
        var connection: PostgresConnection?
        var task: Task<Void, Never>?
    }

    private let shared = Mutex(Shared())

    /// The two keys of `pg_try_advisory_lock(int4, int4)`: "ssow" and "atch" in ASCII.
    static let lockKeys: (Int32, Int32) = (0x7373_6f77, 0x6174_6368)

    public init(url: PostgresURL, store: PostgresStateStore, logger: Logger) {
        self.url = url
        self.store = store
        self.logger = logger
        host = Self.hostName()
        pid = Int(getpid())
    }

    public var isHeld: Bool {
        shared.withLock { state in
            guard state.held, let beat = state.lastBeat else { return false }
            return ContinuousClock.now - beat < .milliseconds(Int64(heartbeatTimeout * 1000))
        }
    }

    public func start(onChange: @escaping @Sendable (LeadershipRole) -> Void) {
        let task = Task { await campaign(onChange) }
        shared.withLock { $0.task = task }
    }

    public func resign(reason: String) {
        shared.withLock { state in
            guard state.held else { return }
            state.resignReason = reason
        }
        drop()
    }

    public func stop() {
        let (connection, task) = shared.withLock { state in
            state.stopped = true
            return (state.connection, state.task)
        }
        drop()
        task?.cancel()
        // Closing the session releases its advisory lock at once.
        PostgresSession.closeAndWait(connection)
    }

    /// Stops leading now: what `isHeld` and the store see; the campaign reports it.
    private func drop() {
        shared.withLock { $0.held = false }
        store.fence(epoch: nil)
    }

    private var stopped: Bool { shared.withLock { $0.stopped } }

    private func campaign(_ onChange: @escaping @Sendable (LeadershipRole) -> Void) async {
        var last: LeadershipRole?
        func report(_ role: LeadershipRole) {
            guard role != last else { return }
            last = role
            onChange(role)
        }
        while !stopped {
            let connection: PostgresConnection
            do {
                connection = try await PostgresSession.connect(url, logger: logger)
            } catch {
                report(.standby(reason: "database unreachable (\(PostgresSession.describe(error)))"))
                await pause(retryInterval)
                continue
            }
            do {
                _ = try await PostgresSession.withDeadline(PostgresSession.stepTimeout) {
                    try await PostgresSchema.prepare(connection, logger: self.logger)
                }
            } catch {
                try? await connection.close()
                if let tooNew = error as? PostgresSchema.SchemaTooNew {
                    report(
                        .standby(
                            reason: "the database's ssowatch schema is version \(tooNew.found), newer than this "
                                + "ssowatch understands (\(PostgresSchema.currentVersion))"))
                } else {
                    report(.standby(reason: "database unreachable (\(PostgresSession.describe(error)))"))
                }
                await pause(retryInterval)
                continue
            }
            shared.withLock { $0.connection = connection }
            connection.closeFuture.whenComplete { [weak self] _ in self?.drop() }
            let reason = await standOrLead(connection, report: report)
            try? await connection.close()
            shared.withLock { $0.connection = nil }
            if stopped { return }
            report(.standby(reason: reason))
            await pause(retryInterval)
        }
    }

    /// Campaigns and leads on one connection until it fails; returns why, for `standby: …`.
    private func standOrLead(
        _ connection: PostgresConnection, report: (LeadershipRole) -> Void
    ) async -> String {
        do {
            while !stopped {
                if try await tryLock(connection) {
                    let epoch = try await takeOffice(connection)
                    report(.leader(epoch: epoch))
                    return await lead(connection, epoch: epoch)
                }
                report(.standby(reason: try await leaderDescription(connection)))
                await pause(retryInterval)
                if connection.isClosed { return "database unreachable (the connection closed)" }
            }
            return "stopping"
        } catch {
            drop()
            return "database unreachable (\(PostgresSession.describe(error)))"
        }
    }

    private func tryLock(_ connection: PostgresConnection) async throws -> Bool {
        let (first, second) = Self.lockKeys
        return try await PostgresSession.withDeadline(heartbeatTimeout) {
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(\(first), \(second))", logger: self.logger)
            var got = false
            for try await value in rows.decode(Bool.self) { got = value }
            return got
        }
    }

    /// A new epoch and the leader row, in one transaction; then the store writes in that epoch.
    private func takeOffice(_ connection: PostgresConnection) async throws -> Int {
        let (host, pid, logger) = (self.host, self.pid, self.logger)
        let epoch = try await PostgresSession.withDeadline(PostgresSession.stepTimeout) {
            try await PostgresSchema.transaction(connection, logger: logger) {
                let rows = try await connection.query(
                    "UPDATE ssowatch_epoch SET epoch = epoch + 1 RETURNING epoch", logger: logger)
                var epoch: Int?
                for try await value in rows.decode(Int.self) { epoch = value }
                guard let epoch else { throw MissingEpoch() }
                // The previous leader's row goes; when the state was last saved stays.
                _ = try await connection.query(
                    """
                    WITH previous AS (DELETE FROM ssowatch_leader RETURNING last_saved)
                    INSERT INTO ssowatch_leader (host, pid, epoch, since, backend_pid, last_saved)
                    VALUES (\(host), \(pid), \(epoch), now(), pg_backend_pid(), (SELECT max(last_saved) FROM previous))
                    """, logger: logger)
                return epoch
            }
        }
        store.fence(epoch: epoch)
        shared.withLock { state in
            state.held = true
            state.lastBeat = .now
            state.resignReason = nil
        }
        logger.notice("leading the pair", metadata: ["epoch": "\(epoch)", "database": "\(url.display)"])
        return epoch
    }

    /// Heartbeats until the lease is lost; returns why.
    private func lead(_ connection: PostgresConnection, epoch: Int) async -> String {
        let (first, second) = Self.lockKeys
        while true {
            await pause(heartbeatInterval, whileLeading: true)
            let state = shared.withLock { ($0.held, $0.resignReason, $0.stopped) }
            if state.2 { return "stopping" }
            if let reason = state.1 { return "gave up the leadership (\(reason))" }
            if !state.0 || connection.isClosed { return "lost the leadership (the database connection closed)" }
            do {
                let holds = try await PostgresSession.withDeadline(heartbeatTimeout) {
                    let rows = try await connection.query(
                        """
                        SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                        AND pid = pg_backend_pid() AND classid = \(Int(first))::oid AND objid = \(Int(second))::oid
                        AND objsubid = 2) AND EXISTS (SELECT 1 FROM ssowatch_epoch WHERE epoch = \(epoch))
                        """, logger: self.logger)
                    var holds = false
                    for try await value in rows.decode(Bool.self) { holds = value }
                    return holds
                }
                guard holds else {
                    drop()
                    return "lost the leadership (the lock or the epoch \(epoch) is no longer this instance's)"
                }
                shared.withLock { $0.lastBeat = .now }
            } catch {
                drop()
                return "lost the leadership (heartbeat failed: \(PostgresSession.describe(error)))"
            }
        }
    }

    /// `leader is HOST (pid N)` from the leader row, for a standby's `STATUS=`.
    private func leaderDescription(_ connection: PostgresConnection) async throws -> String {
        let leader = try await PostgresSession.withDeadline(heartbeatTimeout) {
            try await PostgresPairStatus.leader(connection, logger: self.logger)
        }
        guard let leader else { return "another instance holds the leadership" }
        return "leader is \(leader.host) (pid \(leader.pid))"
    }

    /// Sleeps `duration` in short steps, returning early once stopped or, `whileLeading`, once the lease was
    /// dropped (a closed connection, a resignation): the loss is then reported within 0.1 s.
    private func pause(_ duration: Duration, whileLeading: Bool = false) async {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            if shared.withLock({ $0.stopped || (whileLeading && !$0.held) }) { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private struct MissingEpoch: Error, CustomStringConvertible {
        var description: String { "the table ssowatch_epoch has no row" }
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
