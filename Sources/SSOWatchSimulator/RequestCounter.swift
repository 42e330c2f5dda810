import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchState
import Synchronization

/// Counts requests a server has handled and lets tasks await a count with a deadline, so tests never
/// sleep to wait for a client.
final class RequestCounter: Sendable {
    private struct Waiter {
        let target: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var count = 0
        var nextWaiterID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())
    private let serverName: String

    init(serverName: String) {
        self.serverName = serverName
    }

    var count: Int { state.withLock { $0.count } }

    /// Counts one request and wakes every waiter whose target is reached.
    func increment() {
        let ready: [CheckedContinuation<Void, any Error>] = state.withLock { state in
            state.count += 1
            guard !state.waiters.isEmpty else { return [] }
            let count = state.count
            let done = state.waiters.filter { $0.value.target <= count }
            for id in done.keys { state.waiters[id] = nil }
            return done.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once at least `target` requests were counted since the server was created.
    ///
    /// - Throws: `SimulatorError.timedOut` when `timeout` passes first; `CancellationError` when cancelled.
    func wait(for target: Int, timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.waitUntil(target) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SimulatorError.timedOut(
                    server: self.serverName, expected: target, received: self.count, timeout: timeout)
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func waitUntil(_ target: Int) async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Task.isCancelled is set before onCancel runs, so checking it under the lock closes the
                // window between registering the waiter and a concurrent cancellation.
                let immediate: Result<Void, any Error>? = state.withLock { state in
                    if state.count >= target { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = Waiter(target: target, continuation: continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
