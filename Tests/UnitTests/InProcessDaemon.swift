import Foundation
import Logging
import Synchronization
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The daemon run in this process: an INI text the test can change and reload, an in-memory state,
/// a transport whose answers the test decides, and a notifier and logger that record.
final class InProcessDaemon: Sendable {
    static let accountID = "023e105f4ecef8ad9ca31a8372d0c353"
    static let token = "cfut_in_process_token_7a8b"
    static let webhookURL = "https://hooks.example.com/audit"

    let transport: ScriptedTransport
    let store: InMemoryStateStore
    let notifier = RecordingNotifier()
    let log = RecordingLog()
    let daemon: Daemon
    let clock: any SchedulerClock
    private let lines: LockedLines
    private let runTask: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// A daemon on `lines` (an INI file), polling through `transport`, on `clock` (the system's by default;
    /// a `ManualClock` makes time move only through `tick`), starting from `state` (none: a fresh start).
    /// Jitter draws are the middle of their range. With `lease`, the daemon is one instance of an active/passive
    /// pair that leads only while it says so.
    init(
        _ lines: [String], transport: ScriptedTransport, clock: any SchedulerClock = DispatchSchedulerClock(),
        state: StateDocument? = nil, lease: (any LeadershipLease)? = nil
    ) throws {
        self.store = InMemoryStateStore(document: state)
        self.transport = transport
        self.clock = clock
        let lines = LockedLines(lines)
        self.lines = lines
        let store = self.store
        let log = self.log
        let dependencies = DaemonDependencies(
            transport: transport, notifier: notifier,
            logger: Logger(label: "ssowatch") { _ in RecordingLogHandler(log: log) },
            loadConfiguration: {
                try ConfigLoader(environment: [:], fileSystem: InMemoryConfigFileSystem()).parse(
                    text: lines.value.joined(separator: "\n") + "\n", path: "/etc/ssowatch/ssowatch.ini")
            },
            makeStateStore: { _ in store }, makeLeadership: { _, _ in lease }, clock: clock, random: { 0.5 },
            handleSignals: false)
        daemon = try Daemon(dependencies: dependencies)
    }

    /// `[daemon]` settings for fast tests (each of `daemon` replaces the default of its key), one account
    /// and a `generic` webhook for every event.
    static func lines(daemon: [String] = [], account: [String] = []) -> [String] {
        let defaults = [
            "poll_interval = 1s", "jitter = 0", "request_timeout = 1s", "log_level = debug",
            "state_file = /unused/state.json", "dns_check = off",
            // Every account at poll_interval whatever its connectors, unless a test of adaptive polling sets it.
            "settled_poll_interval = 0",
        ]
        let key = { (line: String) in line.split(separator: "=").first?.trimmingCharacters(in: .whitespaces) }
        let overridden = Set(daemon.compactMap(key))
        return ["[daemon]"] + defaults.filter { !overridden.contains(key($0) ?? "") } + daemon
            + ["[account \"prod\"]", "account_id = \(accountID)", "api_token = \(token)"] + account
            + ["[webhook \"audit\"]", "type = generic", "url = \(webhookURL)", "events = all", "timeout = 1s"]
    }

    /// Starts the daemon with `overdueMargin` (seconds past a request's own deadline). The default is long:
    /// a test run that loads both cores can hold up a poll's task for seconds, which a short margin would
    /// declare overdue; only the tests of overdue work set a short one.
    func start(overdueMargin: TimeInterval = 60) {
        let daemon = self.daemon
        daemon.queue.sync { daemon.overdueMargin = overdueMargin }
        runTask.withLock { $0 = Task { await daemon.run() } }
    }

    /// Replaces the configuration text and reloads, as SIGHUP does; returns once the reload is done.
    func reload(_ newLines: [String]) {
        lines.value = newLines
        let daemon = self.daemon
        daemon.queue.sync { daemon.performReload() }
    }

    /// Whether the daemon has started (its timers are armed) and not begun to stop.
    var isRunning: Bool {
        inspect { daemon in
            if case .running = daemon.lifecycle { return true }
            return false
        }
    }

    /// Stops the daemon and waits for `run()` to return. On a `ManualClock`, time moves on a second at a
    /// time meanwhile, so a stop that waits for its grace period ends.
    func stop() async {
        daemon.stop()
        if let manual = clock as? ManualClock {
            while inspect({ daemon in
                if case .stopped = daemon.lifecycle { return false }
                return true
            }) {
                manual.advance(by: 1)
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        await runTask.withLock { $0 }?.value
    }

    /// Reads a value on the scheduler's queue.
    func inspect<T: Sendable>(_ body: @Sendable (Daemon) -> T) -> T {
        daemon.queue.sync { body(daemon) }
    }

    /// The daemon's in-memory account state.
    var account: AccountState? { inspect { $0.state.accounts[Self.accountID] } }

    /// Waits until `condition` holds, checking every `interval`; fails with `what` after `timeout`.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
        _ condition: @Sendable () -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw WaitTimeout(what: what + "; log:\n" + log.all.suffix(30).joined(separator: "\n"))
            }
            try await Task.sleep(for: interval)
        }
    }

    /// The scheduler's tick, with a `ManualClock`: moves it by `seconds`, running every timer due on the
    /// way, and returns once the requests those timers started were answered and handled and no timer is
    /// due at the new time. A request the transport holds is not waited for.
    func tick(_ clock: ManualClock, by seconds: TimeInterval = 0) async throws {
        clock.advance(by: seconds)
        while true {
            // Every request in flight is held by the transport; the others were answered and handled.
            try await waitUntil("the requests of this tick answered", every: .milliseconds(1)) {
                inspect { $0.pollsInFlight + $0.deliveriesInFlight.count } == transport.heldCount
            }
            guard let next = clock.nextDeadline, next <= clock.now() else { return }
            clock.advance(by: 0)
        }
    }

    /// Moves a `ManualClock` to its next timer and runs the scheduler's tick there; returns the new time.
    @discardableResult
    func tickToNextTimer(_ clock: ManualClock) async throws -> Date {
        let next = try #require(clock.nextDeadline, "no timer armed")
        try await tick(clock, by: max(0, next.timeIntervalSince(clock.now())))
        return clock.now()
    }

    /// Runs `body` with a started daemon, and stops it (and opens every gate) afterwards.
    static func with(
        _ lines: [String], transport: ScriptedTransport, clock: any SchedulerClock = DispatchSchedulerClock(),
        state: StateDocument? = nil, overdueMargin: TimeInterval = 60, lease: (any LeadershipLease)? = nil,
        _ body: (InProcessDaemon) async throws -> Void
    ) async throws {
        let rig = try InProcessDaemon(lines, transport: transport, clock: clock, state: state, lease: lease)
        rig.start(overdueMargin: overdueMargin)
        do {
            try await rig.waitUntil("the daemon started") { rig.isRunning }
            try await body(rig)
        } catch {
            transport.openAllGates()
            await rig.stop()
            throw error
        }
        transport.openAllGates()
        await rig.stop()
    }
}

/// The configuration's lines, replaced by a reload.
final class LockedLines: Sendable {
    private let lines: Mutex<[String]>

    init(_ lines: [String]) { self.lines = Mutex(lines) }

    var value: [String] {
        get { lines.withLock { $0 } }
        set { lines.withLock { $0 = newValue } }
    }
}

/// A wait that ran out.
struct WaitTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// An `HTTPTransport` whose answers a test decides per request, and that can hold a request until a
/// gate opens — ignoring cancellation, as a stuck peer whose deadline failed would.
final class ScriptedTransport: HTTPTransport {
    typealias Answer = Result<HTTPResponseSpec, HTTPTransportError>

    /// What to do with one request.
    enum Step: Sendable {
        case answer(Answer)
        /// Hold the request until `gate` opens, then answer.
        case hold(Gate, then: Answer)
    }

    private struct State {
        var requests: [HTTPRequestSpec] = []
        var gates: [Gate] = []
        /// Requests waiting at a gate now.
        var held = 0
        var decide: @Sendable (HTTPRequestSpec, Int) -> Step
    }

    private let state: Mutex<State>

    /// A transport that answers with `decide(request, number of earlier requests to the same host+path)`.
    init(_ decide: @escaping @Sendable (HTTPRequestSpec, Int) -> Step) {
        state = Mutex(State(decide: decide))
    }

    /// Every request received so far, oldest first.
    var requests: [HTTPRequestSpec] { state.withLock { $0.requests } }

    /// How many requests wait at a closed gate now, not counting those the daemon gave up on.
    var heldCount: Int { state.withLock { $0.held } }

    /// The requests to Cloudflare (polls).
    var polls: [HTTPRequestSpec] { requests.filter { $0.url.contains("/sso_connectors") } }

    /// The requests to the webhook.
    var deliveries: [HTTPRequestSpec] { requests.filter { $0.url == InProcessDaemon.webhookURL } }

    /// Opens every gate handed out, so no task stays blocked after a test.
    func openAllGates() {
        for gate in state.withLock({ $0.gates }) { gate.open() }
    }

    func send(_ request: HTTPRequestSpec) async throws(HTTPTransportError) -> HTTPResponseSpec {
        let step = state.withLock { state in
            let earlier = state.requests.filter { $0.url == request.url }.count
            state.requests.append(request)
            let step = state.decide(request, earlier)
            if case .hold(let gate, _) = step { state.gates.append(gate) }
            return step
        }
        switch step {
        case .answer(let answer):
            return try answer.get()
        case .hold(let gate, let answer):
            // Counted as held until the gate opens or the daemon gives up on it (cancels its task), which
            // it does when it declares the request overdue; the request keeps waiting either way.
            let counted = HeldMark()
            state.withLock { $0.held += 1 }
            let release: @Sendable () -> Void = { [self] in
                if counted.clear() { self.state.withLock { $0.held -= 1 } }
            }
            await withTaskCancellationHandler {
                await gate.wait()
            } onCancel: {
                release()
            }
            release()
            return try answer.get()
        }
    }

    /// A Cloudflare list answer with connectors given as (id, domain, status).
    static func list(_ connectors: [(String, String, String)], totalCount: Int? = nil) -> Answer {
        let items = connectors.map { id, domain, status in
            "{\"id\":\"\(id)\",\"email_domain\":\"\(domain)\",\"enabled\":false,"
                + "\"verification\":{\"code\":\"cloudflare_dashboard_sso=\(id)\",\"status\":\"\(status)\"}}"
        }
        let info = totalCount.map { ",\"result_info\":{\"count\":\(connectors.count),\"total_count\":\($0)}" } ?? ""
        let body =
            "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":[\(items.joined(separator: ","))]\(info)}"
        return .success(
            HTTPResponseSpec(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
    }

    /// A plain answer with `status` and no body.
    static func status(_ status: Int) -> Answer {
        .success(HTTPResponseSpec(status: status))
    }
}

/// Whether a held request still counts as held: cleared once.
final class HeldMark: Sendable {
    private let set = Mutex(true)

    /// Clears the mark; `true` the first time only.
    func clear() -> Bool {
        set.withLock { value in
            defer { value = false }
            return value
        }
    }
}

/// A one-way latch: `wait()` returns once `open()` was called (before or after). Not cancellable.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Whether `open()` was called.
    var isOpen: Bool { state.withLock { $0.open } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A `ServiceNotifier` that records what the daemon tells systemd.
final class RecordingNotifier: ServiceNotifier {
    private let sent = Mutex<[String]>([])

    var messages: [String] { sent.withLock { $0 } }

    /// The `STATUS=` texts, oldest first.
    var statusLines: [String] {
        messages.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("STATUS=") }.map {
            String($0.dropFirst("STATUS=".count))
        }
    }

    func notify(_ state: String) { sent.withLock { $0.append(state) } }
    func watchdogTimeout() -> TimeInterval? { nil }
}

/// The lines a `RecordingLogHandler` received, as `level: message`.
final class RecordingLog: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// Whether some line contains `text`.
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

/// A `LogHandler` that writes to a `RecordingLog`.
struct RecordingLogHandler: LogHandler {
    let log: RecordingLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.append("\(event.level): \(event.message)")
    }
}
