import Dispatch
import Foundation
import Logging
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// `ssowatch run`: polls every enabled account on Dispatch timers, turns changes into events,
/// stores them in the state file's outbox and delivers them to the webhooks.
///
/// All mutable state is confined to `queue`, a serial queue that also owns every timer and
/// signal source; HTTP calls run as tasks and hop back to `queue` with their results. That is
/// what makes `@unchecked Sendable` sound here: no property is touched off the queue.
public final class Daemon: @unchecked Sendable {
    /// The lifecycle, explicit rather than a set of flags.
    enum Lifecycle {
        case created
        case running
        case stopping(deadline: Date)
        case stopped
    }

    /// Per-account scheduling state.
    struct AccountRuntime {
        var config: AccountConfig
        var timer: (any SchedulerTimer)?
        var waitingForSlot = false
        /// The account's poll in flight. An answer whose request id is not this one's is stale (the
        /// account was disabled and re-enabled meanwhile, or the poll was declared overdue) and is discarded.
        var poll: RequestInFlight?
        var polling: Bool { poll != nil }
        /// Which interval the account is on, from its latest successful poll (docs/MONITORING.md).
        var pace = PollPace.frequent
        /// When its timer fires, while one is armed.
        var nextPollAt: Date?
        /// `pollSoon` asked for a poll soon, not yet started: the next one comes after `PollSchedule.soonDelay`
        /// and goes first among the accounts waiting for their token's budget.
        var soon = false
        /// While waiting for a slot: the order among the waiting accounts (earliest first).
        var waitDeadline = Date.distantPast
    }

    /// A request the daemon waits for, with the timer that declares it overdue.
    struct RequestInFlight {
        /// Unique for the daemon's lifetime (`nextRequestID`).
        let id: Int
        let started: Date
        let watch: any SchedulerTimer
    }

    /// A delivery attempt in flight to one webhook.
    struct DeliveryInFlight {
        let request: RequestInFlight
        let task: Task<Void, Never>
        let webhook: WebhookConfig
        let entries: [OutboxEntry]
    }

    let queue = DispatchQueue(label: "ssowatch.scheduler")
    let dependencies: DaemonDependencies
    var logger: Logger
    var lifecycle = Lifecycle.created
    var configuration: Configuration
    var store: any StateStore
    var state: StateDocument

    var accounts: [String: AccountRuntime] = [:]
    /// Accounts whose poll is due, waiting for a request slot or their token's budget, by `waitDeadline`
    /// (`Daemon+Adaptive.swift`): the order in which they get the budget.
    var waiting: [String] = []
    /// Every poll request still running and counted against `max_concurrent_requests`, by request id:
    /// also those of accounts a reload removed meanwhile. An overdue poll is removed (and cancelled).
    var pollTasks: [Int: Task<Void, Never>] = [:]
    var pollsInFlight: Int { pollTasks.count }
    var nextRequestID = 0
    var budgets: [String: TokenBudget] = [:]
    var budgetTimer: (any SchedulerTimer)?

    /// Which connectors' TXT records are due and which checks run (`Daemon+DNS.swift`).
    var dnsSchedule = DNSCheckSchedule()
    /// The checker for the `dns_*` settings; `nil` with `dns_check = off`.
    var recordChecker: RecordChecker?
    var dnsTasks: [Int: Task<Void, Never>] = [:]
    var dnsTimer: (any SchedulerTimer)?
    var nextDNSCheckID = 0
    /// Verification assistance's calls in progress, by connector (`Daemon+AutoBegin.swift`).
    var autoBeginSteps: [DNSCheckSchedule.Key: AutoBeginStep] = [:]

    var deliveriesInFlight: [String: DeliveryInFlight] = [:]
    var deliveryTimer: (any SchedulerTimer)?
    /// How often the delivery timer fired: a test's measure of idle wake-ups.
    var deliveryTimerFirings = 0

    var stateDirty = false
    /// Events in the outbox that no successful write holds yet: not delivered until one does.
    var undurableEvents: Set<String> = []
    /// The latest state write's outcome, shown by `STATUS=` and `ssowatch status`.
    var health = StateHealth()
    var consecutiveSaveFailures = 0
    /// Whether the latest `recordHealth` succeeded (so a failure is logged once, not at every save).
    var healthRecorded = true
    /// The OS's reason for the latest failed state write, for `STATUS=`.
    var saveFailureReason = ""
    var saveRetryTimer: (any SchedulerTimer)?
    /// Makes the saves that were not durable durable (`saveState(durable: false)`).
    var syncTimer: (any SchedulerTimer)?
    /// How long a save that was not durable may wait for its sync.
    let syncDelay: TimeInterval = 1
    /// Accounts whose state changed since the last save: the next save journals them (`JournaledStateFile`).
    /// Every change to `state.accounts` must insert its account id here.
    var changedAccounts: Set<String> = []
    /// The `STATUS=` counts, updated per poll; `nil` until the next `statusText()` after a (re)configuration.
    var statusTally: StatusTally?
    /// The last `STATUS=` text `publishStatus()` sent, and when.
    var lastStatus: (text: String, sent: Date)?
    var flushTimer: (any SchedulerTimer)?
    var watchdogTimer: (any SchedulerTimer)?
    var signalSources: [DispatchSourceSignal] = []
    var stopTimer: (any SchedulerTimer)?
    var reloadFailure: String?
    var stopContinuation: CheckedContinuation<Void, Never>?
    /// The Prometheus metrics and their listener, while `metrics_listen` is set (`Daemon+Metrics.swift`).
    var metrics: SSOWatchMetrics?
    var metricsServer: MetricsServer?
    /// The leadership of an active/passive pair (`ha_postgres_url`, `Daemon+Leadership.swift`); `nil` alone.
    let lease: (any LeadershipLease)?
    /// This instance's role in its pair as last reported by `lease`; `nil` without a pair.
    var role: LeadershipRole?
    /// Retries the delivery claims a database error refused (`Daemon+Leadership.swift`).
    var claimRetryTimer: (any SchedulerTimer)?

    /// How long to wait for in-flight requests on SIGTERM before abandoning them.
    let stopGracePeriod: TimeInterval = 3
    /// How long a state change that carries no event may wait before it is written.
    let flushDelay: TimeInterval = 5
    /// How long past its own deadline a poll or delivery attempt may run before it is overdue
    /// (docs/MONITORING.md): the deadline should always end it first, so this only catches a stuck one.
    var overdueMargin: TimeInterval = 5

    /// Loads the configuration and the state file. Nothing is scheduled until `run()`.
    /// - Throws: `DaemonStartError` (exit 78): an invalid configuration or a state file written
    ///   by a newer version, which is left untouched.
    public init(dependencies: DaemonDependencies) throws(DaemonStartError) {
        self.dependencies = dependencies
        do {
            configuration = try dependencies.loadConfiguration()
        } catch let error as ConfigError {
            throw .configuration(error)
        } catch {
            throw .configuration(ConfigError(path: "(configuration)", line: 1, message: "\(error)"))
        }
        var logger = dependencies.logger
        logger.logLevel = configuration.daemon.logLevel.loggerLevel
        self.logger = logger
        store = dependencies.makeStateStore(configuration)
        lease = dependencies.makeLeadership(configuration, store)
        if lease != nil {
            // A pair's state is read when this instance becomes the leader (docs/HA.md).
            state = StateDocument()
            role = try Self.prepareSharedStore(store, logger: logger)
        } else {
            let loaded: StateFile.LoadResult
            let leftovers: [String]
            do {
                leftovers = try store.acquireLock()
                loaded = try store.load()
            } catch {
                throw .state(error)
            }
            for name in leftovers {
                logger.notice("removed \(name), left by a write a crash interrupted")
            }
            state = loaded.document
            if let report = loaded.report {
                logger.error("\(report)")
            }
        }
        for warning in configuration.warnings {
            logger.warning("\(warning.description)")
        }
    }

    /// Runs until SIGTERM/SIGINT (or `stop()`), then returns with the state written.
    public func run() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.stopContinuation = continuation
                self.start()
            }
        }
    }

    /// Asks the daemon to stop, as SIGTERM does.
    public func stop() {
        queue.async { self.beginStop(reason: "stop requested") }
    }

    /// Re-reads the configuration, as SIGHUP does.
    public func reload() {
        queue.async { self.performReload() }
    }

    // MARK: - Lifecycle (on `queue`)

    private func start() {
        dispatchPrecondition(condition: .onQueue(queue))
        lifecycle = .running
        if dependencies.handleSignals {
            installSignalHandlers()
        }
        applyConfiguration(configuration, isReload: false)
        applyMetricsConfiguration()
        startWatchdog()
        let stateLocation =
            configuration.daemon.haPostgres.map { ("database", "PostgreSQL \($0.display)") }
            ?? ("state_file", configuration.daemon.stateFile)
        logger.info(
            "ssowatch \(SSOWatchVersion.string) started",
            metadata: [
                "accounts": "\(configuration.accounts.filter(\.enabled).count)",
                "webhooks": "\(configuration.webhooks.count)", stateLocation.0: "\(stateLocation.1)",
            ])
        dependencies.notifier.notify("READY=1\n" + SystemdNotifier.statusLine(statusText()))
        lastStatus = nil
        startCampaign()
        pumpDeliveries()
    }

    func beginStop(reason: String) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle else { return }
        let deadline = dependencies.now().addingTimeInterval(stopGracePeriod)
        lifecycle = .stopping(deadline: deadline)
        logger.info("stopping (\(reason))")
        dependencies.notifier.notify("STOPPING=1\n" + SystemdNotifier.statusLine("stopping"))
        lastStatus = nil
        for id in accounts.keys {
            accounts[id]?.timer?.cancel()
            accounts[id]?.timer = nil
        }
        for timer in [budgetTimer, deliveryTimer, flushTimer, saveRetryTimer, syncTimer, dnsTimer, claimRetryTimer] {
            timer?.cancel()
        }
        for task in dnsTasks.values { task.cancel() }
        dnsTasks.removeAll()
        stopAutoBegin()
        saveRetryTimer = nil
        syncTimer = nil
        budgetTimer = nil
        deliveryTimer = nil
        flushTimer = nil
        waiting.removeAll()
        stopTimer = makeTimer(after: stopGracePeriod, leeway: .milliseconds(100)) { [unowned self] in
            self.finishStop(abandon: true)
        }
        finishStopIfIdle()
    }

    /// Completes a stop once no request is in flight.
    func finishStopIfIdle() {
        guard case .stopping = lifecycle, pollsInFlight == 0, deliveriesInFlight.isEmpty, autoBeginRequestsInFlight == 0
        else { return }
        finishStop(abandon: false)
    }

    private func finishStop(abandon: Bool) {
        guard case .stopping = lifecycle else { return }
        if abandon {
            let count = pollsInFlight + deliveriesInFlight.count + autoBeginRequestsInFlight
            logger.warning("abandoning \(count) request(s) still in flight; undelivered events stay queued")
            for task in pollTasks.values { task.cancel() }
            for step in autoBeginSteps.values { step.task?.cancel() }
            for delivery in deliveriesInFlight.values { delivery.task.cancel() }
        }
        for runtime in accounts.values { runtime.poll?.watch.cancel() }
        for delivery in deliveriesInFlight.values { delivery.request.watch.cancel() }
        lifecycle = .stopped
        stopTimer?.cancel()
        watchdogTimer?.cancel()
        for source in signalSources { source.cancel() }
        signalSources.removeAll()
        stopMetrics()
        // A clean stop leaves the whole state in the state file and an empty journal; a standby of a pair has
        // nothing of its own to save.
        if isLeading { saveState(whole: true) }
        lease?.stop()
        logger.info("stopped", metadata: ["outbox": "\(state.outbox.count)"])
        stopContinuation?.resume()
        stopContinuation = nil
    }

    private func installSignalHandlers() {
        for signalNumber in [SIGHUP, SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [unowned self] in
                switch signalNumber {
                case SIGHUP: self.performReload()
                case SIGTERM: self.beginStop(reason: "SIGTERM")
                default: self.beginStop(reason: "SIGINT")
                }
            }
            source.resume()
            signalSources.append(source)
        }
        #if DEBUG
            // A test hook, compiled only into debug builds (the ones the tests run): SIGUSR1 blocks the
            // scheduler queue for good, as a deadlock would, so tests can check that the watchdog pings stop.
            if ProcessInfo.processInfo.environment["SSOWATCH_TEST_HANG_ON_SIGUSR1"] == "1" {
                signal(SIGUSR1, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: queue)
                source.setEventHandler { [unowned self] in
                    self.logger.warning(
                        "SIGUSR1 with SSOWATCH_TEST_HANG_ON_SIGUSR1=1: blocking the scheduler (test hook)")
                    while true { sleep(3600) }
                }
                source.resume()
                signalSources.append(source)
            }
        #endif
    }

    /// A one-shot timer on the scheduler queue, from the injected clock: the only way the daemon waits.
    func makeTimer(
        after delay: TimeInterval, leeway: DispatchTimeInterval, _ handler: @escaping @Sendable () -> Void
    ) -> any SchedulerTimer {
        dependencies.clock.schedule(after: delay, leeway: leeway, on: queue, handler)
    }

    /// Starts watching a request that should end within `bound` seconds; `overdue` runs on the queue if
    /// it has not ended `overdueMargin` later.
    func watchRequest(bound: TimeInterval, _ overdue: @escaping @Sendable (Int) -> Void) -> RequestInFlight {
        let id = nextRequestID
        nextRequestID += 1
        let watch = makeTimer(after: bound + overdueMargin, leeway: .milliseconds(100)) { overdue(id) }
        return RequestInFlight(id: id, started: dependencies.now(), watch: watch)
    }

    /// `WATCHDOG=1` at half of `WATCHDOG_USEC`, from this queue: a blocked scheduler stops the pings.
    private func startWatchdog() {
        guard let timeout = dependencies.notifier.watchdogTimeout() else { return }
        let period = timeout / 2
        logger.debug("watchdog enabled", metadata: ["interval": "\(formatSeconds(period))"])
        armWatchdog(period: period)
    }

    private func armWatchdog(period: TimeInterval) {
        watchdogTimer = makeTimer(after: period, leeway: .milliseconds(Int(period * 50))) { [unowned self] in
            if case .stopped = self.lifecycle { return }
            self.dependencies.notifier.notify("WATCHDOG=1")
            self.armWatchdog(period: period)
        }
    }
}
