import Synchronization

/// Why a harness operation failed; descriptions say what was awaited and what was seen instead.
struct HarnessError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A value that changes over time (a child's output, datagrams received) and lets tasks wait, with a
/// deadline, until it satisfies a condition. Tests wait on these events instead of sleeping.
final class Observed<Value: Sendable>: Sendable {
    private struct Waiter {
        let condition: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Value, any Error>
    }

    private struct State {
        var value: Value
        var nextWaiterID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state: Mutex<State>

    init(_ value: Value) {
        state = Mutex(State(value: value))
    }

    /// The current value.
    var value: Value { state.withLock { $0.value } }

    /// Runs `body` with the current value while holding the lock that `update` takes.
    func withValue<T>(_ body: (Value) -> T) -> T {
        state.withLock { body($0.value) }
    }

    /// Changes the value and wakes every waiter whose condition now holds.
    func update(_ change: (inout Value) -> Void) {
        let ready: [(CheckedContinuation<Value, any Error>, Value)] = state.withLock { state in
            change(&state.value)
            let value = state.value
            let satisfied = state.waiters.filter { $0.value.condition(value) }
            for id in satisfied.keys { state.waiters[id] = nil }
            return satisfied.values.map { ($0.continuation, value) }
        }
        for (continuation, value) in ready { continuation.resume(returning: value) }
    }

    /// Returns the first value that satisfies `condition` (possibly the current one).
    ///
    /// - Parameters:
    ///   - what: what is awaited, for the failure message (`"ssowatch to print READY"`).
    ///   - timeout: the deadline.
    ///   - detail: describes the last value seen, appended to the failure message.
    /// - Throws: `HarnessError` at the deadline; `CancellationError` when the task is cancelled.
    func wait(
        for what: String, timeout: Duration, detail: @escaping @Sendable (Value) -> String = { "\($0)" },
        until condition: @escaping @Sendable (Value) -> Bool
    ) async throws -> Value {
        try await withThrowingTaskGroup(of: Value.self) { group in
            group.addTask { try await self.waitUntil(condition) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw HarnessError("timed out after \(timeout) waiting for \(what); last seen: \(detail(self.value))")
            }
            defer { group.cancelAll() }
            guard let value = try await group.next() else { throw CancellationError() }
            return value
        }
    }

    private func waitUntil(_ condition: @escaping @Sendable (Value) -> Bool) async throws -> Value {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                // Checking cancellation under the lock closes the window between registering the waiter
                // and a concurrent onCancel (which runs after Task.isCancelled is set).
                let immediate: Result<Value, any Error>? = state.withLock { state in
                    if condition(state.value) { return .success(state.value) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = Waiter(condition: condition, continuation: continuation)
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
