import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import SSOWatchConfig
import SSOWatchState
import Synchronization

/// Connecting to the pair's database and waiting for it with a deadline (docs/HA.md).
///
/// The daemon's state store is synchronous (it runs on the scheduler's serial queue, never on an event loop):
/// `blocking` runs one piece of async work and waits for it at most `timeout`; past it the work is cancelled,
/// its connection closed, and the caller gets an error it can report and retry.
package enum PostgresSession {
    /// How long a connection attempt may take.
    static let connectTimeout: TimeInterval = 5
    /// How long one step of the store (a load, a save's transaction, a claim) may take.
    static let stepTimeout: TimeInterval = 10

    /// The server-side keepalive settings of every session (docs/HA.md): the server notices a vanished peer
    /// within about 11 s (idle 5 s, then 3 probes 2 s apart; 10 s for unacknowledged data), so the session's
    /// advisory lock is released in time for a standby to take over within 15 s.
    static let keepaliveParameters: [(String, String)] = [
        ("application_name", "ssowatch"), ("tcp_keepalives_idle", "5"), ("tcp_keepalives_interval", "2"),
        ("tcp_keepalives_count", "3"), ("tcp_user_timeout", "10000"),
    ]

    /// The connection settings of `url`.
    static func configuration(_ url: PostgresURL) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if url.requireTLS {
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        } else {
            tls = .disable
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password?.value,
            database: url.database, tls: tls)
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        configuration.options.additionalStartupParameters = keepaliveParameters
        return configuration
    }

    private static let nextID = Atomic<Int>(1)

    /// A new connection to `url`.
    static func connect(_ url: PostgresURL, logger: Logger) async throws -> PostgresConnection {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        return try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try configuration(url), id: id,
            logger: logger)
    }

    /// Closes `connection` and waits for it at most 2 s, from a thread that may block (never an event loop):
    /// a connection must be closed before it is released.
    static func closeAndWait(_ connection: PostgresConnection?) {
        guard let connection, !connection.isClosed else { return }
        let closed = DispatchSemaphore(value: 0)
        let future: EventLoopFuture<Void> = connection.close()
        future.whenComplete { _ in closed.signal() }
        _ = closed.wait(timeout: .now() + 2)
    }

    /// One line saying why a database step failed, from the server's message and SQLSTATE when it sent one.
    /// Never the URL or the password.
    package static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "\(message)\(state)"
            }
            let what = error.code == .connectionError ? "cannot connect" : "\(error.code)"
            if let underlying = error.underlying {
                return "\(what): \(describe(underlying))"
            }
            return what
        }
        // The system's words for the errno (`Connection refused`), without NIO's "connection reset (error set)".
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? ChannelError {
            if case .connectTimeout = error { return "no connection within \(Int(connectTimeout)) s" }
            return "\(error)"
        }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.first.map { describe($0.error) } ?? "connection failed"
        }
        if error is TimedOut { return "\(error)" }
        return String(describing: error)
    }

    /// No answer within the deadline.
    struct TimedOut: Error, CustomStringConvertible {
        var seconds: TimeInterval
        var description: String { "no answer within \(Int(seconds)) s" }
    }

    /// Runs `work` and waits for it at most `timeout` seconds, from a thread that may block (never an event
    /// loop). Past the deadline the task is cancelled and `TimedOut` returned.
    static func blocking<T: Sendable>(
        timeout: TimeInterval, _ work: @escaping @Sendable () async throws -> T
    ) -> Result<T, any Error> {
        let outcome = Outcome<T>()
        let task = Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await work())
            } catch {
                result = .failure(error)
            }
            outcome.result.withLock { $0 = result }
            outcome.done.signal()
        }
        if outcome.done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            return .failure(TimedOut(seconds: timeout))
        }
        return outcome.result.withLock { $0 } ?? .failure(TimedOut(seconds: timeout))
    }

    /// What `blocking`'s task hands back to the waiting thread.
    private final class Outcome<T: Sendable>: Sendable {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }
}

extension PostgresSession {
    /// Runs `work`, throwing `TimedOut` if it has not finished after `seconds` (the work is then cancelled).
    static func withDeadline<T: Sendable>(
        _ seconds: TimeInterval, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                throw TimedOut(seconds: seconds)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw TimedOut(seconds: seconds) }
            return first
        }
    }
}
