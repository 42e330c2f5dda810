import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchState
import Synchronization

/// A simulated Cloudflare SSO connectors API: a real HTTP/1.1 server on 127.0.0.1 serving the six
/// `/client/v4/accounts/{account_id}/sso_connectors` operations with Cloudflare's envelopes, errors and
/// rate-limit headers, backed by in-memory accounts. Tests, `ssowatch demo` and the benchmark use it.
///
/// Faults can be queued (`injectFault`), statuses changed now or later (`setStatus`,
/// `scheduleStatusChange`), and every request is recorded (`requests`, `waitForRequests`). Call `stop()`
/// before dropping a started simulator: its event-loop threads run until then.
public final class CloudflareSimulator: Sendable {
    let store = SimulatorStore()
    private let server: LoopbackHTTPServer

    /// Creates a stopped simulator with no accounts.
    ///
    /// - Parameter threads: event-loop threads serving connections (two keep a benchmark busy).
    public init(threads: Int = 2) {
        let store = self.store
        server = LoopbackHTTPServer(name: "simulated Cloudflare API", threads: threads) { store.handle($0) }
    }

    // MARK: Lifecycle

    /// Starts serving on 127.0.0.1:`port`; 0 picks a free port (read it from `port` or `baseURL`).
    ///
    /// - Throws: `SimulatorError.alreadyRunning`, or the bind error.
    public func start(port: Int = 0) async throws {
        try await server.start(port: port)
    }

    /// Cancels scheduled status changes and closes the listener and every connection.
    public func stop() async throws {
        let tasks = store.state.withLock { state in
            defer { state.scheduled.removeAll() }
            return Array(state.scheduled.values)
        }
        for task in tasks { task.cancel() }
        try await server.stop()
    }

    /// The bound port, or 0 when not running.
    public var port: Int { server.port }

    /// The API base URL to configure clients with, e.g. `http://127.0.0.1:41234/client/v4`.
    public var baseURL: String { "http://127.0.0.1:\(port)/client/v4" }

    // MARK: Accounts and connectors

    /// Registers `accountID` (created if new) and lets `token` use it. One token may serve many accounts.
    public func addAccount(id accountID: String, token: String) {
        store.state.withLock { _ = $0.accounts[accountID, default: SimulatedAccount()].tokens.insert(token) }
    }

    /// Gives `token` read permission only (or, with `false`, write permission back): its writes, such as
    /// `begin_verification`, then get HTTP 403 with Cloudflare's error 10000, as a token without
    /// "SSO Connector Write" does.
    public func setReadOnly(_ token: String, _ readOnly: Bool = true) {
        store.state.withLock { state in
            if readOnly { state.readOnlyTokens.insert(token) } else { state.readOnlyTokens.remove(token) }
        }
    }

    /// Revokes `token` for one account, or for every account when `accountID` is nil.
    public func removeToken(_ token: String, accountID: String? = nil) {
        store.state.withLock { state in
            for id in accountID.map({ [$0] }) ?? Array(state.accounts.keys) {
                state.accounts[id]?.tokens.remove(token)
            }
        }
    }

    /// Adds a connector (creating the account if needed) and returns its id.
    ///
    /// - Parameters:
    ///   - status: `verification.status`; any string is served as is, `nil` leaves the field out.
    ///   - id: the connector id; a deterministic 32-hex id is generated when nil. An existing id is replaced.
    @discardableResult
    public func addConnector(
        accountID: String, domain: String, status: String? = "pending", enabled: Bool = false, id: String? = nil
    ) -> String {
        store.state.withLock { state in
            let connector = state.makeConnector(
                accountID: accountID, domain: domain, status: status, enabled: enabled, id: id, now: Date())
            state.accounts[accountID, default: SimulatedAccount()].insert(connector)
            return connector.id
        }
    }

    /// Sets `verification.status` (`nil` removes the field) and `updated_on`; false if there is no such connector.
    @discardableResult
    public func setStatus(accountID: String, connectorID: String, status: String?) -> Bool {
        updateConnector(accountID: accountID, connectorID: connectorID) { $0.status = status }
    }

    /// Changes any field of a connector and stamps `updated_on`; false if there is no such connector.
    @discardableResult
    public func updateConnector(
        accountID: String, connectorID: String, _ change: (inout SimulatedConnector) -> Void
    ) -> Bool {
        store.state.withLock { $0.update(accountID: accountID, connectorID: connectorID, now: Date(), change) != nil }
    }

    /// Serves `json` verbatim for this connector (in list and get), to test defensive decoding: fields
    /// missing or of the wrong type, unknown extra fields, unknown statuses. `nil` restores normal output.
    @discardableResult
    public func setRawConnectorJSON(accountID: String, connectorID: String, json: String?) -> Bool {
        store.state.withLock { $0.accounts[accountID]?.modify(connectorID) { $0.rawJSON = json } != nil }
    }

    /// Makes list responses report `total_count` = `count` (nil: the real count), to test the warning for
    /// lists that look paginated.
    public func setReportedTotalCount(accountID: String, _ count: Int?) {
        store.state.withLock { $0.accounts[accountID]?.reportedTotalCount = count }
    }

    /// Deletes a connector; false if there was none.
    @discardableResult
    public func removeConnector(accountID: String, connectorID: String) -> Bool {
        store.state.withLock { $0.accounts[accountID]?.remove(connectorID) != nil }
    }

    /// The account's connectors in creation order (empty for an unknown account).
    public func connectors(accountID: String) -> [SimulatedConnector] {
        store.state.withLock { $0.accounts[accountID]?.orderedConnectors ?? [] }
    }

    /// One connector, or nil.
    public func connector(accountID: String, id: String) -> SimulatedConnector? {
        store.state.withLock { $0.accounts[accountID]?.connectors[id] }
    }

    /// The ids of every account, unordered.
    public var accountIDs: [String] { store.state.withLock { Array($0.accounts.keys) } }

    /// Cloudflare's per-token limit; by default reported in headers but not enforced.
    public var rateLimit: RateLimitPolicy {
        get { store.state.withLock { $0.rateLimit } }
        set { store.state.withLock { $0.rateLimit = newValue } }
    }

    // MARK: Scripted changes

    /// Sets a connector's status after `delay` (unless the simulator is stopped first), then calls
    /// `onChange` with the changed connector. Used by the demo's timeline.
    public func scheduleStatusChange(
        accountID: String, connectorID: String, to status: String?, after delay: Duration,
        onChange: (@Sendable (SimulatedConnector) -> Void)? = nil
    ) {
        store.state.withLock { state in
            state.nextScheduleID += 1
            let id = state.nextScheduleID
            state.scheduled[id] = Task { [weak self] in
                try? await Task.sleep(for: delay)
                guard let self, !Task.isCancelled else { return }
                self.store.state.withLock { _ = $0.scheduled.removeValue(forKey: id) }
                guard self.setStatus(accountID: accountID, connectorID: connectorID, status: status),
                    let connector = self.connector(accountID: accountID, id: connectorID)
                else { return }
                onChange?(connector)
            }
        }
    }

    // MARK: Faults

    /// Queues `fault` for the next `times` requests (to `accountID` only, when given). Queued faults are
    /// consumed in order; each request takes at most one.
    public func injectFault(_ fault: Fault, times: Int = 1, accountID: String? = nil) {
        guard times > 0 else { return }
        store.state.withLock { $0.faults.append(FaultEntry(fault: fault, remaining: times, accountID: accountID)) }
    }

    /// Removes every queued fault.
    public func clearFaults() {
        store.state.withLock { $0.faults.removeAll() }
    }

    /// How many fault applications are still queued.
    public var pendingFaults: Int { store.state.withLock { $0.faults.reduce(0) { $0 + $1.remaining } } }

    // MARK: Recorded requests

    /// The most recent requests (up to 10,000), oldest first.
    public var requests: [RecordedRequest] { store.state.withLock { Array($0.log.recent) } }

    /// Called (on a server thread, must not block) with every request once it is answered, for the demo's
    /// narration.
    public var onRequest: (@Sendable (RecordedRequest) -> Void)? {
        get { store.onRequest.withLock { $0?.call } }
        set { store.onRequest.withLock { $0 = newValue.map(RequestHook.init) } }
    }

    /// How many requests were answered (or dropped) since the simulator was created.
    public var requestCount: Int { store.counter.count }

    /// Forgets the recorded requests (the count keeps going).
    public func clearRequests() {
        store.state.withLock { $0.log.removeAll() }
    }

    /// Returns once `count` requests in total were handled since creation.
    ///
    /// - Throws: `SimulatorError.timedOut` at the deadline.
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws {
        try await store.counter.wait(for: count, timeout: timeout)
    }
}

/// A closure kept in a `Mutex`, wrapped in a struct.
///
/// A `Mutex` whose value is itself a function type wraps the function in two more reabstraction thunks on
/// every `withLock` (the value passes `inout` through generic code: 48–64 more bytes of stack per read).
/// Read on every request, the hook grew a chain of thunks until calling it overflowed the stack: the
/// simulator died of SIGSEGV after tens of thousands of requests (`make bench-large`; the core dump shows
/// the chain), and a test runner hosting one can too. A struct's stored closure keeps its representation.
/// `SimulatorStoreTests` checks that a call's stack depth does not grow.
struct RequestHook<Output>: Sendable {
    let call: @Sendable (RecordedRequest) -> Output
}

/// The simulator's state and request counter, shared with the server's handler.
final class SimulatorStore: Sendable {
    let state = Mutex(SimulatorState())
    let counter = RequestCounter(serverName: "simulated Cloudflare API")
    let onRequest = Mutex<RequestHook<Void>?>(nil)
    /// Answers `/__sim/…` requests when a `SimulatorControl` is installed; they are not API requests, so they
    /// are neither recorded nor counted.
    let control = Mutex<RequestHook<ServerResponse>?>(nil)

    func handle(_ request: RecordedRequest) -> ServerAction {
        if request.path.hasPrefix(SimulatorControl.pathPrefix), let control = control.withLock({ $0 }) {
            return .respond(control.call(request), delay: nil)
        }
        let now = Date()
        let instant = ContinuousClock.now
        let (action, recorded) = state.withLock { state in
            let action = state.respond(to: request, now: now, instant: instant)
            var recorded = request
            recorded.responseStatus = action.status
            return (action, state.log.append(recorded))
        }
        onRequest.withLock { $0 }?.call(recorded)
        counter.increment()
        return action
    }
}
