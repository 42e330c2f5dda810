import SSOWatchSimulator

/// Starts a simulated Cloudflare API on a free loopback port, runs `body`, and stops it whatever
/// happens. The simulator starts empty: add accounts (`addAccount(id:token:)`) and connectors.
func withSimulator<T>(_ body: (CloudflareSimulator) async throws -> T) async throws -> T {
    let simulator = CloudflareSimulator(threads: 1)
    try await simulator.start()
    do {
        let result = try await body(simulator)
        try await simulator.stop()
        return result
    } catch {
        try? await simulator.stop()
        throw error
    }
}

/// Starts a webhook receiver (answering 200 `ok` until told otherwise) on a free loopback port, runs
/// `body`, and stops it whatever happens.
func withReceiver<T>(_ body: (WebhookReceiver) async throws -> T) async throws -> T {
    let receiver = WebhookReceiver()
    try await receiver.start()
    do {
        let result = try await body(receiver)
        try await receiver.stop()
        return result
    } catch {
        try? await receiver.stop()
        throw error
    }
}

/// Starts `count` webhook receivers, runs `body` with them, and stops them whatever happens.
func withReceivers<T>(_ count: Int, _ body: ([WebhookReceiver]) async throws -> T) async throws -> T {
    guard count > 0 else { return try await body([]) }
    return try await withReceiver { first in
        try await withReceivers(count - 1) { rest in try await body([first] + rest) }
    }
}
