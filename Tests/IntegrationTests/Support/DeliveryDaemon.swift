import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A webhook as the delivery tests configure it: a type and the path (and query) its URL has on a local
/// receiver, shaped like that service's real URLs. The path carries `token`, the secret part, which
/// must never show up in a log line, `STATUS=` or `ssowatch status`.
struct TestWebhook: Sendable, CustomStringConvertible {
    var name: String
    var type: String
    /// The URL's path and query on the receiver, e.g. `/services/T0/B0/<token>`.
    var pathAndQuery: String
    /// The unguessable part of the URL.
    var token: String
    /// Extra `[webhook]` keys (`events`, `secret_file`, …).
    var settings: [ConfigFile.Setting] = []
    /// Which of the daemon's receivers it points at.
    var receiver: Int = 0

    /// A webhook of `type` whose URL looks like that service's; `query` is appended (e.g. `wait=true`).
    static func make(
        _ name: String, type: String, query: String? = nil, receiver: Int = 0, settings: [ConfigFile.Setting] = []
    ) -> TestWebhook {
        let token = "s3cr3t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        var path =
            switch type {
            case "slack": "/services/T0SSOWATCH/B0SSOWATCH/\(token)"
            case "discord": "/api/webhooks/112233445566778899/\(token)"
            case "teams": "/workflows/0f3a9d/triggers/manual/paths/invoke?api-version=2016-06-01&sig=\(token)"
            case "google-chat": "/v1/spaces/AAAAssowatch/messages?key=AIzaSyDdI0hCZtE6vySjMm&token=\(token)"
            case "mattermost": "/hooks/\(token)"
            case "rocketchat": "/hooks/64f0c0ffee/\(token)"
            case "ntfy": "/ssowatch-\(token)"
            default: "/webhooks/ssowatch/\(token)"
            }
        if let query { path += (path.contains("?") ? "&" : "?") + query }
        return TestWebhook(
            name: name, type: type, pathAndQuery: path, token: token, settings: settings, receiver: receiver)
    }

    /// The path without the query, as `RecordedRequest.path` has it.
    var path: String { String(pathAndQuery.prefix { $0 != "?" }) }

    /// The query, as `RecordedRequest.query` has it.
    var query: String? { pathAndQuery.firstIndex(of: "?").map { String(pathAndQuery[$0...].dropFirst()) } }

    /// The same webhook at a new secret URL (the "fixed" URL after a permanent failure).
    func movedToNewURL() -> TestWebhook {
        var moved = TestWebhook.make(name, type: type, receiver: receiver, settings: settings)
        if let query, !moved.pathAndQuery.contains("?") { moved.pathAndQuery += "?" + query }
        return moved
    }

    /// Whether `text` shows any secret part of the URL: the token, or the path.
    func isLeaked(in text: String) -> Bool {
        text.contains(token) || text.contains(path)
    }

    /// The lines of `text` that show a secret part of the URL, for a failure message.
    func leakingLines(in text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter(isLeaked(in:))
    }

    var description: String { "\(name) (\(type))" }
}

/// A running `ssowatch run` watching `TestAccount.prod` on a simulator, whose connectors start
/// `pending` and have already been seen once (the silent baseline), so every `flip` is one event.
/// Notifications go to local receivers; `NOTIFY_SOCKET` is a socket in `directory`.
struct DeliveryDaemon: Sendable {
    let simulator: CloudflareSimulator
    let receivers: [WebhookReceiver]
    /// What each receiver got, as it arrives (with the status it answered).
    let receiverLogs: [Observed<[RecordedRequest]>]
    let directory: TemporaryDirectory
    let daemon: RunningDaemon
    let notify: NotifySocket
    /// The connectors' ids, in the order of the domains given.
    let connectorIDs: [String]
    let domains: [String]
    let webhooks: [TestWebhook]
    let configPath: String
    private let baseConfig: ConfigFile

    /// The first receiver.
    var receiver: WebhookReceiver { receivers[0] }

    /// The account every connector is in.
    var account: TestAccount { .prod }

    /// The configuration with `webhooks` pointing at the receivers.
    static func config(_ base: ConfigFile, webhooks: [TestWebhook], receivers: [WebhookReceiver]) -> ConfigFile {
        webhooks.reduce(base) { config, webhook in
            config.webhook(
                webhook.name, type: webhook.type, url: receivers[webhook.receiver].url(path: webhook.pathAndQuery),
                webhook.settings)
        }
    }

    /// Sets the statuses of several connectors (by index) so that one poll sees all of the changes.
    ///
    /// Polls are failed (503) while the statuses change, so no list can show only some of them.
    func flipTogether(_ changes: [(index: Int, status: String)]) {
        simulator.injectFault(.httpStatus(503, body: "{}"), times: 1_000_000, accountID: account.id)
        for change in changes {
            simulator.setStatus(accountID: account.id, connectorID: connectorIDs[change.index], status: change.status)
        }
        simulator.clearFaults()
    }

    /// Sets one connector's status in the simulator; the next poll turns it into one event.
    func flip(_ index: Int, to status: String) {
        simulator.setStatus(accountID: account.id, connectorID: connectorIDs[index], status: status)
    }

    /// Waits until `count` more list requests reached the simulator (one per poll cycle).
    func waitForPolls(_ count: Int, timeout: Duration = .seconds(20)) async throws {
        try await simulator.waitForRequests(count: simulator.requestCount + count, timeout: timeout)
    }

    /// Waits until receiver `index` has received `count` requests in total.
    func waitForDeliveries(_ count: Int, receiver index: Int = 0, timeout: Duration = .seconds(20)) async throws {
        try await receivers[index].waitForRequests(count: count, timeout: timeout)
    }

    /// Waits until the requests receiver `index` got satisfy `condition`, and returns them.
    @discardableResult
    func waitForReceived(
        _ what: String, receiver index: Int = 0, timeout: Duration = .seconds(20),
        until condition: @escaping @Sendable ([RecordedRequest]) -> Bool
    ) async throws -> [RecordedRequest] {
        try await receiverLogs[index].wait(
            for: what, timeout: timeout,
            detail: { requests in
                "\(requests.count) requests: "
                    + requests.map { "\($0.responseStatus.map(String.init) ?? "dropped") \($0.bodyString.prefix(120))" }
                    .joined(separator: " | ")
            }, until: condition)
    }

    /// Runs `ssowatch status --json` against the daemon's configuration.
    func status() async throws -> (json: StatusOutput, result: CommandResult) {
        let result = try await runSSOWatch(["status", "--json", "--config", configPath], timeout: .seconds(30))
        guard result.status == 0 else { throw HarnessError("`ssowatch status --json` failed: \(result)") }
        return (try StatusOutput(parsing: result.stdout), result)
    }

    /// Rewrites the configuration with `webhooks`, sends SIGHUP and waits for the `READY=1` that ends
    /// the reload.
    func reload(webhooks: [TestWebhook]) async throws {
        try Self.config(baseConfig, webhooks: webhooks, receivers: receivers).write(to: directory)
        let seen = notify.received.count
        daemon.signal(SIGHUP)
        try await notify.waitForMessage(containing: "READY=1", after: seen, timeout: .seconds(20))
    }

    /// Waits for a `STATUS=` line containing `text` and returns it.
    @discardableResult
    func waitForStatus(containing text: String, timeout: Duration = .seconds(20)) async throws -> String {
        let message = try await notify.waitForMessage(containing: text, timeout: timeout)
        return message.split(separator: "\n").first { $0.hasPrefix("STATUS=") && $0.contains(text) }.map(String.init)
            ?? message
    }

    /// Waits until the daemon's standard error contains `text`.
    @discardableResult
    func waitForLog(containing text: String, timeout: Duration = .seconds(20)) async throws -> String {
        try await daemon.waitForOutput(containing: text, in: .stderr, timeout: timeout)
    }

    fileprivate init(
        simulator: CloudflareSimulator, receivers: [WebhookReceiver], receiverLogs: [Observed<[RecordedRequest]>],
        directory: TemporaryDirectory,
        daemon: RunningDaemon, notify: NotifySocket, connectorIDs: [String], domains: [String],
        webhooks: [TestWebhook], configPath: String, baseConfig: ConfigFile
    ) {
        self.simulator = simulator
        self.receivers = receivers
        self.receiverLogs = receiverLogs
        self.directory = directory
        self.daemon = daemon
        self.notify = notify
        self.connectorIDs = connectorIDs
        self.domains = domains
        self.webhooks = webhooks
        self.configPath = configPath
        self.baseConfig = baseConfig
    }
}

/// Starts a simulator with `TestAccount.prod` and one `pending` connector per domain, `receivers`
/// webhook receivers, and `ssowatch run` polling every second (no jitter) with `webhooks`; waits for
/// `READY=1` and the baseline poll, runs `body`, and stops everything whatever happens.
///
/// - Parameters:
///   - daemonSettings: extra `[daemon]` keys.
///   - beforeStart: runs once the configuration is written, before the daemon starts (to seed a
///     state file or program the receivers, for instance).
func withDeliveryDaemon<T>(
    domains: [String] = ["example.com"], webhooks: [TestWebhook], receivers receiverCount: Int = 1,
    daemonSettings: [ConfigFile.Setting] = [],
    beforeStart: (TemporaryDirectory, [WebhookReceiver]) throws -> Void = { _, _ in },
    _ body: (DeliveryDaemon) async throws -> T
) async throws -> T {
    try await withSimulator { simulator in
        let account = TestAccount.prod
        simulator.addAccount(id: account.id, token: account.token)
        let ids = domains.map { simulator.addConnector(accountID: account.id, domain: $0, status: "pending") }
        return try await withReceivers(receiverCount) { receivers in
            try await withTemporaryDirectory(prefix: "ssowatch-dlv") { directory in
                let base = daemonSettings.reduce(
                    ConfigFile(simulator: simulator).daemon("poll_interval", "1s").daemon("jitter", "0")
                ) { $0.daemon($1.key, $1.value) }
                .account(account.name, id: account.id, token: account.token)
                let configPath = try DeliveryDaemon.config(base, webhooks: webhooks, receivers: receivers)
                    .write(to: directory)
                let logs = receivers.map { receiver in
                    let log = Observed<[RecordedRequest]>([])
                    receiver.onRequest = { request in log.update { $0.append(request) } }
                    return log
                }
                try beforeStart(directory, receivers)
                let notify = try NotifySocket(in: directory)
                defer { notify.stop() }
                return try await withRunningDaemon(["run", "--config", configPath], environment: notify.environment) {
                    daemon in
                    try await notify.waitForMessage(containing: "READY=1", timeout: .seconds(30))
                    // The first list is the baseline; its answer is fixed once counted, so a flip from
                    // here on is seen by a later poll.
                    try await simulator.waitForRequests(count: 1, timeout: .seconds(20))
                    let setup = DeliveryDaemon(
                        simulator: simulator, receivers: receivers, receiverLogs: logs, directory: directory,
                        daemon: daemon,
                        notify: notify, connectorIDs: ids, domains: domains, webhooks: webhooks,
                        configPath: configPath, baseConfig: base)
                    return try await body(setup)
                }
            }
        }
    }
}

/// Starts `count` webhook receivers, runs `body` with them, and stops them whatever happens.
func withReceivers<T>(_ count: Int, _ body: ([WebhookReceiver]) async throws -> T) async throws -> T {
    guard count > 0 else { return try await body([]) }
    return try await withReceiver { first in
        try await withReceivers(count - 1) { rest in try await body([first] + rest) }
    }
}

/// The time between two recorded requests, in seconds.
func secondsBetween(_ first: RecordedRequest, _ second: RecordedRequest) -> Double {
    second.receivedAt.timeIntervalSince(first.receivedAt)
}

extension RecordedRequest {
    /// The body's JSON object at a dotted path of keys and array indices, e.g. `data.connector.id`
    /// or `embeds.0.title`.
    func json(_ keyPath: String) -> Any? {
        var value: Any? = jsonObject
        for key in keyPath.split(separator: ".") {
            if let index = Int(key), let array = value as? [Any] {
                value = index < array.count ? array[index] : nil
            } else {
                value = (value as? [String: Any])?[String(key)]
            }
        }
        return value
    }

    /// `json(keyPath)` as a string.
    func string(_ keyPath: String) -> String? { json(keyPath) as? String }
}
