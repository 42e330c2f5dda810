import Dispatch
import Foundation
import Logging
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// What the daemon needs from the outside world. Production values by default; tests and the
/// demo inject their own.
public struct DaemonDependencies: Sendable {
    public var transport: any HTTPTransport
    public var notifier: any ServiceNotifier
    public var logger: Logger
    /// Loads (and re-loads, on SIGHUP) the configuration.
    public var loadConfiguration: @Sendable () throws -> Configuration
    /// Where state lives; made from the configuration's `state_file`.
    public var makeStateStore: @Sendable (Configuration) -> any StateStore
    /// The leadership of an active/passive pair sharing the store (docs/HA.md); `nil` (the default) for a
    /// daemon alone with its state file.
    public var makeLeadership: @Sendable (Configuration, any StateStore) -> (any LeadershipLease)?
    /// The date and the timers every scheduling decision uses (`SchedulerClock`).
    public let clock: any SchedulerClock
    /// The clock's date (made once here: the scheduler reads it many times per poll).
    public let now: @Sendable () -> Date
    /// A random number in `0..<1`, for jitter.
    public var random: @Sendable () -> Double
    /// Whether to install SIGHUP/SIGTERM/SIGINT handlers (the demo runs inside another program).
    public var handleSignals: Bool

    /// Creates dependencies; only the configuration loader has no default.
    public init(
        transport: any HTTPTransport, notifier: any ServiceNotifier = SystemdNotifier(), logger: Logger,
        loadConfiguration: @escaping @Sendable () throws -> Configuration,
        makeStateStore: @escaping @Sendable (Configuration) -> any StateStore = {
            JournaledStateFile(path: $0.daemon.stateFile)
        },
        makeLeadership: @escaping @Sendable (Configuration, any StateStore) -> (any LeadershipLease)? = { _, _ in nil },
        clock: any SchedulerClock = DispatchSchedulerClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, handleSignals: Bool = true
    ) {
        self.transport = transport
        self.notifier = notifier
        self.logger = logger
        self.loadConfiguration = loadConfiguration
        self.makeStateStore = makeStateStore
        self.makeLeadership = makeLeadership
        self.clock = clock
        self.now = { [clock] in clock.now() }
        self.random = random
        self.handleSignals = handleSignals
    }
}

/// Why the daemon could not start.
public enum DaemonStartError: Error, CustomStringConvertible {
    case configuration(ConfigError)
    case state(StateFileError)

    public var description: String {
        switch self {
        case .configuration(let error): error.description
        case .state(let error): error.description
        }
    }

    /// The exit status for this failure: 75 when another daemon holds the state, else 78 (the operator
    /// must fix a file).
    public var exitStatus: Int32 {
        if case .state(.locked) = self { return ExitStatus.locked }
        return ExitStatus.config
    }
}
