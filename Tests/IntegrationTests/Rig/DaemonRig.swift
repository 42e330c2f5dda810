import Foundation
import SSOWatchSimulator

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything one `ssowatch run` test needs, and nothing shared with another test: a simulated
/// Cloudflare API that knows `TestAccount.prod` and `.staging`, one or more webhook receivers, a
/// temporary directory (configuration, secrets, state file) and a `NOTIFY_SOCKET`. `withDaemon` runs
/// the built `ssowatch` against them.
///
/// Every request the simulator answers and every receiver gets is also published (`apiRequests`,
/// `deliveries`), so tests wait for "two more polls of prod" or "three 2xx deliveries" with a
/// deadline instead of sleeping (`DaemonRig+Waiting.swift`).
struct DaemonRig: Sendable {
    let simulator: CloudflareSimulator
    let receivers: [WebhookReceiver]
    let directory: TemporaryDirectory
    let notify: NotifySocket
    /// Every API request the simulator answered, oldest first.
    let apiRequests: Observed<[RecordedRequest]>
    /// Per receiver, every request it got (whatever it answered), oldest first.
    let receiverLogs: [Observed<[RecordedRequest]>]
    /// The ids of the `pending` connectors of `TestAccount.prod` the rig was started with, in the order
    /// of `domains`.
    let connectorIDs: [String]
    let domains: [String]

    /// The first receiver.
    var receiver: WebhookReceiver { receivers[0] }

    /// What the first receiver got.
    var deliveries: Observed<[RecordedRequest]> { receiverLogs[0] }

    /// The state file `ConfigFile` puts in the directory.
    var statePath: String { directory.path("state.json") }

    /// Where `ConfigFile.write(to: directory)` puts the configuration.
    var configPath: String { directory.path("ssowatch.ini") }

    /// `/generic/audit` on the receiver.
    static let genericPath = "/generic/audit"
    /// `/slack/T0/B0/chat` on the receiver.
    static let slackPath = "/slack/T0/B0/chat"

    /// The `[daemon]` keys every `config` has unless it gives them: fast polls without jitter, a short
    /// request timeout and debug logs.
    static let defaultSettings: [ConfigFile.Setting] = [
        ("poll_interval", "1s"), ("jitter", "0"), ("request_timeout", "1s"), ("log_level", "debug"),
    ]

    /// A configuration that points at the simulator with `accounts` and their tokens, and the `[daemon]`
    /// keys `defaults` (unless `daemon` gives them too) followed by `daemon`.
    func config(
        accounts: [TestAccount] = [.prod], _ daemon: [ConfigFile.Setting] = [],
        defaults: [ConfigFile.Setting] = defaultSettings
    ) -> ConfigFile {
        var config = ConfigFile(simulator: simulator)
        for setting in defaults where !daemon.contains(where: { $0.key == setting.key }) {
            config = config.daemon(setting.key, setting.value)
        }
        for setting in daemon { config = config.daemon(setting.key, setting.value) }
        for account in accounts {
            config = config.account(account.name, id: account.id, token: account.token)
        }
        return config
    }

    /// `config` with `[webhook "audit"]`: a `generic` webhook at `genericPath` on the first receiver that
    /// gets every event.
    func auditedConfig(accounts: [TestAccount] = [.prod], _ daemon: [ConfigFile.Setting] = []) -> ConfigFile {
        config(accounts: accounts, daemon).auditWebhook(url: url(Self.genericPath))
    }

    /// The URL of a path on the first receiver.
    func url(_ path: String) -> String { receiver.url(path: path) }

    /// Lets the simulator accept each account's token (`prod` and `staging` it knows from the start).
    func register(_ accounts: [TestAccount]) {
        for account in accounts { simulator.addAccount(id: account.id, token: account.token) }
    }

    /// Adds a connector to `account` in the simulator and returns its id.
    @discardableResult
    func connector(_ account: TestAccount, _ domain: String, _ status: String) -> String {
        simulator.addConnector(accountID: account.id, domain: domain, status: status)
    }

    /// Changes a connector's status in the simulator.
    func set(_ account: TestAccount, _ id: String, _ status: String) {
        simulator.setStatus(accountID: account.id, connectorID: id, status: status)
    }

    /// The environment `ssowatch run` gets: `NOTIFY_SOCKET` plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        notify.environment.merging(extra) { _, given in given }
    }

    /// Starts `ssowatch run --config configPath` with `NOTIFY_SOCKET` and `environment`; prefer
    /// `withDaemon`, which also reaps it.
    func startDaemon(_ configPath: String, environment extra: [String: String] = [:]) throws -> SSOWatchProcess {
        try SSOWatchProcess.start(["run", "--config", configPath], environment: environment(extra))
    }

    /// Runs `ssowatch run --config configPath` around `body`; it is killed and reaped afterwards if still
    /// running, whatever `body` does.
    func withDaemon<T>(
        _ configPath: String, environment extra: [String: String] = [:],
        stderr: SSOWatchProcess.StandardError = .captured, _ body: (SSOWatchProcess) async throws -> T
    ) async throws -> T {
        try await withSSOWatchProcess(
            ["run", "--config", configPath], environment: environment(extra), stderr: stderr, body)
    }

    /// Rewrites the configuration with `config`, sends SIGHUP and waits for the `READY=1` that ends the
    /// reload.
    func reload(_ daemon: SSOWatchProcess, with config: ConfigFile) async throws {
        try config.write(to: directory)
        let seen = notify.received.count
        daemon.signal(SIGHUP)
        try await notify.waitForMessage(containing: "READY=1", after: seen, timeout: .seconds(20))
    }
}

/// Runs `body` with a fresh `DaemonRig`, and stops its servers and removes its directory afterwards,
/// whatever happens.
///
/// - Parameters:
///   - domains: `pending` connectors of `TestAccount.prod` to add to the simulator (`connectorIDs`).
///   - receivers: how many webhook receivers to start.
func withDaemonRig<T>(
    connectors domains: [String] = [], receivers receiverCount: Int = 1, _ body: (DaemonRig) async throws -> T
) async throws -> T {
    try await withSimulator { simulator in
        for account in [TestAccount.prod, .staging] {
            simulator.addAccount(id: account.id, token: account.token)
        }
        let ids = domains.map { simulator.addConnector(accountID: TestAccount.prod.id, domain: $0, status: "pending") }
        return try await withReceivers(receiverCount) { receivers in
            try await withTemporaryDirectory(prefix: "ssowatch-daemon") { directory in
                let notify = try NotifySocket(in: directory)
                defer { notify.stop() }
                let apiRequests = Observed<[RecordedRequest]>([])
                simulator.onRequest = { request in apiRequests.update { $0.append(request) } }
                let logs = receivers.map { receiver in
                    let log = Observed<[RecordedRequest]>([])
                    receiver.onRequest = { request in log.update { $0.append(request) } }
                    return log
                }
                defer {
                    simulator.onRequest = nil
                    for receiver in receivers { receiver.onRequest = nil }
                }
                return try await body(
                    DaemonRig(
                        simulator: simulator, receivers: receivers, directory: directory, notify: notify,
                        apiRequests: apiRequests, receiverLogs: logs, connectorIDs: ids, domains: domains))
            }
        }
    }
}
