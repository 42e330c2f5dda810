import Foundation
import SSOWatchSimulator

/// A simulated account for the reliability tests, which need many accounts and shared tokens.
struct RigAccount: Sendable, Hashable, CustomStringConvertible {
    var name: String
    var id: String
    var token: String

    /// Account number `index` (name `NAMEindex`, at most 16 characters) using `token`; its 32-hex
    /// id is the name's bytes in hex, so different names never share an id.
    static func make(_ name: String, _ index: Int, token: String) -> RigAccount {
        let fullName = "\(name)\(index)"
        precondition(fullName.utf8.count <= 16, "account names of at most 16 bytes keep ids unique")
        let hex = fullName.utf8.map { String($0, radix: 16) }.joined()
        return RigAccount(name: fullName, id: hex + String(repeating: "0", count: 32 - hex.count), token: token)
    }

    /// The API path of the account's connector list, as the simulator records it.
    var listPath: String { "/client/v4/accounts/\(id)/sso_connectors" }

    var description: String { name }
}

/// Everything one reliability test needs and shares with no other test: a simulated Cloudflare API,
/// a webhook receiver, a temporary directory and a `NOTIFY_SOCKET`. Every API request and every
/// webhook request is also published (`apiRequests`, `webhookRequests`) so tests wait for them with
/// a deadline.
struct ReliabilityRig: Sendable {
    let simulator: CloudflareSimulator
    let receiver: WebhookReceiver
    let directory: TemporaryDirectory
    let notify: NotifySocket
    /// Every API request the simulator handled, in arrival order.
    let apiRequests: Observed<[RecordedRequest]>
    /// Every request the webhook receiver got, whatever it answered.
    let webhookRequests: Observed<[RecordedRequest]>

    /// The state file `ConfigFile` puts in the directory.
    var statePath: String { directory.path("state.json") }

    /// Lets the simulator accept each account's token.
    func register(_ accounts: [RigAccount]) {
        for account in accounts { simulator.addAccount(id: account.id, token: account.token) }
    }

    /// A configuration for `accounts` against the simulator: `poll_interval = 1s`, `jitter = 0`,
    /// `request_timeout = 1s`, plus `daemon` settings (later keys are appended after these).
    func config(_ accounts: [RigAccount], _ daemon: [ConfigFile.Setting] = []) -> ConfigFile {
        var config = ConfigFile(simulator: simulator)
        let defaults: [ConfigFile.Setting] = [("poll_interval", "1s"), ("jitter", "0"), ("request_timeout", "1s")]
        for setting in defaults where !daemon.contains(where: { $0.key == setting.key }) {
            config = config.daemon(setting.key, setting.value)
        }
        for setting in daemon { config = config.daemon(setting.key, setting.value) }
        for account in accounts {
            config = config.account(account.name, id: account.id, token: account.token)
        }
        return config
    }

    /// `ssowatch run --config configPath` with `NOTIFY_SOCKET` and `environment`.
    func startDaemon(_ configPath: String, environment: [String: String] = [:]) throws -> RunningDaemon {
        try RunningDaemon.start(
            ["run", "--config", configPath], environment: notify.environment.merging(environment) { $1 })
    }

    /// Runs the daemon around `body`; it is killed and reaped afterwards if still running.
    func withDaemon<T>(
        _ configPath: String, environment: [String: String] = [:], _ body: (RunningDaemon) async throws -> T
    ) async throws -> T {
        try await withRunningDaemon(
            ["run", "--config", configPath], environment: notify.environment.merging(environment) { $1 }, body)
    }

    // MARK: API requests

    /// The list requests of `account` so far.
    func polls(of account: RigAccount) -> [RecordedRequest] {
        apiRequests.value.filter { $0.path == account.listPath }
    }

    /// Waits until `condition` holds for the API requests recorded so far, and returns them.
    @discardableResult
    func waitForAPIRequests(
        _ what: String, timeout: Duration = .seconds(20),
        until condition: @escaping @Sendable ([RecordedRequest]) -> Bool
    ) async throws -> [RecordedRequest] {
        try await apiRequests.wait(
            for: what, timeout: timeout,
            detail: { requests in
                requests.suffix(12).map {
                    "\($0.path.split(separator: "/").dropLast().last ?? "?") → \($0.responseStatus.map(String.init) ?? "dropped")"
                }
                .joined(separator: ", ")
            }, until: condition)
    }

    /// Waits for `count` more list requests of `account` than `after`.
    func waitForPolls(of account: RigAccount, count: Int, after: Int = 0, timeout: Duration = .seconds(20))
        async throws
    {
        let path = account.listPath
        try await waitForAPIRequests(
            "\(count) polls of \(account.name) after the first \(after)", timeout: timeout,
            until: { $0.count { $0.path == path } >= after + count })
    }

    // MARK: Webhook requests

    /// Waits until the receiver has got `count` requests in total (any answer) and returns all of them.
    @discardableResult
    func waitForWebhookRequests(count: Int, timeout: Duration = .seconds(20)) async throws -> [RecordedRequest] {
        try await webhookRequests.wait(
            for: "\(count) webhook requests", timeout: timeout,
            detail: {
                "\($0.count) requests: " + $0.map { "\($0.path) → \($0.responseStatus ?? 0)" }.joined(separator: ", ")
            },
            until: { $0.count >= count })
    }

    // MARK: systemd notifications

    /// Every `STATUS=` value received so far, oldest first.
    var statusLines: [String] {
        notify.lines.filter { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst("STATUS=".count)) }
    }

    /// Waits for a `STATUS=` value satisfying `condition` among the datagrams from index `after` on.
    @discardableResult
    func waitForStatusLine(
        _ what: String, after index: Int = 0, timeout: Duration = .seconds(20),
        where condition: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        func statuses(_ datagrams: [String]) -> [String] {
            datagrams.dropFirst(index).flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("STATUS=") }
                .map { String($0.dropFirst("STATUS=".count)) }
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = statuses(notify.received).last(where: condition) { return line }
            guard ContinuousClock.now < deadline else {
                throw HarnessError(
                    "timed out after \(timeout) waiting for a STATUS= line \(what); last: "
                        + (statuses(notify.received).last ?? "(none)"))
            }
            _ = try? await notify.waitForMessage(
                containing: "STATUS=", after: notify.received.count, timeout: .milliseconds(500))
        }
    }

    /// How many `WATCHDOG=1` datagrams arrived from datagram index `after` on.
    func watchdogPings(after index: Int = 0) -> Int {
        notify.received.dropFirst(index).count { $0.split(separator: "\n").contains("WATCHDOG=1") }
    }

    /// Waits until `count` `WATCHDOG=1` datagrams arrived from datagram index `after` on.
    func waitForWatchdogPings(_ count: Int, after index: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = notify.received.count
            let pings = watchdogPings(after: index)
            if pings >= count { return }
            guard ContinuousClock.now < deadline else {
                throw HarnessError("timed out after \(timeout) waiting for \(count) WATCHDOG=1 pings; got \(pings)")
            }
            _ = try? await notify.waitForMessage(containing: "WATCHDOG=1", after: seen, timeout: .milliseconds(250))
        }
    }

    // MARK: status --json

    /// `ssowatch status --json --config configPath`, which must exit 0, parsed.
    func status(_ configPath: String) async throws -> RigStatus {
        let result = try await runSSOWatch(["status", "--json", "--config", configPath], timeout: .seconds(30))
        guard result.status == 0 else { throw HarnessError("`ssowatch status --json` failed: \(result)") }
        return try RigStatus(parsing: result.stdout)
    }

    /// Runs `status --json` until `condition` holds (changes that carry no event reach the state
    /// file within a few seconds, not at once) and returns that output.
    @discardableResult
    func waitForStatus(
        _ configPath: String, _ what: String, timeout: Duration = .seconds(20),
        until condition: (RigStatus) -> Bool
    ) async throws -> RigStatus {
        let deadline = ContinuousClock.now + timeout
        var last: RigStatus?
        while ContinuousClock.now < deadline {
            let output = try await status(configPath)
            if condition(output) { return output }
            last = output
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError(
            "timed out after \(timeout) waiting for `status --json` to show \(what); last seen:\n"
                + (last?.text ?? "(nothing)"))
    }
}

/// Runs `body` with a fresh `ReliabilityRig` (the simulator knows no account yet).
func withReliabilityRig<T>(_ body: (ReliabilityRig) async throws -> T) async throws -> T {
    try await withSimulator { simulator in
        try await withReceiver { receiver in
            try await withTemporaryDirectory(prefix: "ssowatch-rel") { directory in
                let notify = try NotifySocket(in: directory)
                defer { notify.stop() }
                let apiRequests = Observed<[RecordedRequest]>([])
                let webhookRequests = Observed<[RecordedRequest]>([])
                simulator.onRequest = { request in apiRequests.update { $0.append(request) } }
                receiver.onRequest = { request in webhookRequests.update { $0.append(request) } }
                defer {
                    simulator.onRequest = nil
                    receiver.onRequest = nil
                }
                return try await body(
                    ReliabilityRig(
                        simulator: simulator, receiver: receiver, directory: directory, notify: notify,
                        apiRequests: apiRequests, webhookRequests: webhookRequests))
            }
        }
    }
}

/// `ssowatch status --json` (docs/COMMANDS.md) as the reliability tests read it.
struct RigStatus: Sendable, Decodable {
    struct Account: Sendable, Decodable {
        var name: String
        var lastPoll: String?
        var lastSuccess: String?
        var lastError: String?
        var overdue: Bool
        var connectors: Int

        enum CodingKeys: String, CodingKey {
            case name, connectors, overdue
            case lastPoll = "last_poll"
            case lastSuccess = "last_success"
            case lastError = "last_error"
        }
    }

    struct Connector: Sendable, Decodable {
        var account: String
        var id: String
        var emailDomain: String?
        var status: String

        enum CodingKeys: String, CodingKey {
            case account, id, status
            case emailDomain = "email_domain"
        }
    }

    struct Webhook: Sendable, Decodable {
        var name: String
        var host: String?
        var queued: Int
        var failing: Bool
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case name, host, queued, failing
            case lastError = "last_error"
        }
    }

    var accounts: [Account]
    var connectors: [Connector]
    var webhooks: [Webhook]
    var outbox: Int
    /// The text it was parsed from.
    var text = ""

    enum CodingKeys: String, CodingKey {
        case accounts, connectors, webhooks, outbox
    }

    init(parsing text: String) throws {
        do {
            self = try JSONDecoder().decode(RigStatus.self, from: Data(text.utf8))
        } catch {
            throw HarnessError("`status --json` printed something unexpected (\(error)):\n\(text)")
        }
        self.text = text
    }

    func account(_ name: String) -> Account? { accounts.first { $0.name == name } }

    /// Connector id → status as shown.
    var statuses: [String: String] {
        Dictionary(connectors.map { ($0.id, $0.status) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Seconds from `first` to `second` arriving at their server.
func secondsApart(_ first: RecordedRequest, _ second: RecordedRequest) -> Double {
    second.receivedAt.timeIntervalSince(first.receivedAt)
}

/// SplitMix64: a small seeded generator, so a randomized test can print its seed and be replayed.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
