/// Checks `condition` every `interval` until it holds; throws, saying `what` was awaited and what
/// `detail` shows then, when `timeout` ends first.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(5),
    detail: () -> String = { "" }, _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else {
            let shown = detail()
            throw TestSupportError(
                "timed out after \(timeout) waiting for \(what)" + (shown.isEmpty ? "" : "; \(shown)"))
        }
        try await Task.sleep(for: interval)
    }
}
