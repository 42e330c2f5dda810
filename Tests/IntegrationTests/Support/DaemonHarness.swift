import Foundation
import SSOWatchSimulator

/// Everything one `ssowatch run` test needs, and nothing shared with another test: a simulated
/// Cloudflare API that knows `TestAccount.prod` and `.staging`, a webhook receiver, a temporary
/// directory (configuration, secrets, state file) and a `NOTIFY_SOCKET`.
///
/// Every request the simulator answers and the receiver gets is also published in `polls` and
/// `deliveries`, so tests wait for "two more polls of prod" or "three 2xx deliveries" with a
/// deadline instead of sleeping.
struct DaemonHarness: Sendable {
    let simulator: CloudflareSimulator
    let receiver: WebhookReceiver
    let directory: TemporaryDirectory
    let notify: NotifySocket
    /// Every API request the simulator answered, oldest first.
    let polls: Observed<[RecordedRequest]>
    /// Every request the webhook receiver got (whatever it answered), oldest first.
    let deliveries: Observed<[RecordedRequest]>

    /// The state file `ConfigFile` puts in the directory.
    var statePath: String { directory.path("state.json") }

    /// `/generic/audit` on the receiver.
    static let genericPath = "/generic/audit"
    /// `/slack/T0/B0/chat` on the receiver.
    static let slackPath = "/slack/T0/B0/chat"

    /// A configuration that points at the simulator and polls fast: `poll_interval = 1s`,
    /// `jitter = 0`, `request_timeout = 1s` unless given, `log_level = debug`; `accounts` with their tokens.
    func config(accounts: [TestAccount] = [.prod], requestTimeout: String = "1s") -> ConfigFile {
        var config = ConfigFile(simulator: simulator)
            .daemon("poll_interval", "1s")
            .daemon("jitter", "0")
            .daemon("request_timeout", requestTimeout)
            .daemon("log_level", "debug")
        for account in accounts {
            config = config.account(account.name, id: account.id, token: account.token)
        }
        return config
    }

    /// The URL of a receiver path.
    func url(_ path: String) -> String { receiver.url(path: path) }

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

    /// Runs `ssowatch run --config configPath` around `body` (killed and reaped afterwards if still running).
    func withDaemon<T>(
        configPath: String, environment extra: [String: String] = [:], _ body: (RunningDaemon) async throws -> T
    ) async throws -> T {
        try await withRunningDaemon(["run", "--config", configPath], environment: environment(extra), body)
    }

    // MARK: Waiting

    /// The API path of an account's connectors list.
    static func listPath(_ account: TestAccount) -> String {
        "/client/v4/accounts/\(account.id)/sso_connectors"
    }

    /// How many list requests for `account` the simulator has answered so far.
    func pollCount(_ account: TestAccount) -> Int {
        polls.value.count { $0.path == Self.listPath(account) }
    }

    /// Waits until the simulator has answered `count` more list requests for `account` than `after`.
    func waitForPolls(
        _ account: TestAccount, count: Int, after: Int, timeout: Duration = .seconds(20)
    ) async throws {
        let path = Self.listPath(account)
        _ = try await polls.wait(
            for: "\(count) more polls of \(account.name) (after \(after))", timeout: timeout,
            detail: { "\($0.count { $0.path == path }) polls of \(account.name)" },
            until: { $0.count { $0.path == path } >= after + count })
    }

    /// Waits for `count` more polls of `account` from now: what "a few more poll cycles" means.
    func waitForMorePolls(_ account: TestAccount, count: Int = 3, timeout: Duration = .seconds(20)) async throws {
        try await waitForPolls(account, count: count, after: pollCount(account), timeout: timeout)
    }

    /// The requests to a receiver path.
    func received(_ path: String) -> [RecordedRequest] {
        deliveries.value.filter { $0.path == path }
    }

    /// Waits until `path` has received `count` requests in total and returns them.
    @discardableResult
    func waitForDeliveries(
        to path: String, count: Int, successfulOnly: Bool = false, timeout: Duration = .seconds(20)
    ) async throws -> [RecordedRequest] {
        let matches: @Sendable (RecordedRequest) -> Bool = { request in
            request.path == path && (!successfulOnly || (request.responseStatus ?? 0) / 100 == 2)
        }
        let all = try await deliveries.wait(
            for: "\(count) \(successfulOnly ? "2xx-answered " : "")requests to \(path)", timeout: timeout,
            detail: { requests in
                requests.map { "\($0.path) → \($0.responseStatus.map(String.init) ?? "dropped")" }.joined(
                    separator: ", ")
            },
            until: { $0.count(where: matches) >= count })
        return all.filter(matches)
    }

    /// Waits for a `STATUS=` datagram containing `text` (e.g. `1 verified, 2 pending`) and returns that line.
    @discardableResult
    func waitForStatus(containing text: String, after index: Int = 0, timeout: Duration = .seconds(20))
        async throws -> String
    {
        let message = try await notify.waitForMessage(containing: text, after: index, timeout: timeout)
        return message.split(separator: "\n").first { $0.hasPrefix("STATUS=") }.map(String.init) ?? message
    }

    // MARK: status --json

    /// `ssowatch status --json --config configPath`, parsed.
    func status(configPath: String) async throws -> StatusOutput {
        let result = try await runSSOWatch(["status", "--json", "--config", configPath], timeout: .seconds(30))
        guard result.status == 0 else { throw HarnessError("`ssowatch status --json` failed: \(result)") }
        return try StatusOutput(parsing: result.stdout)
    }

    /// Runs `status --json` until `condition` holds (the daemon writes changes that carry no event
    /// within a few seconds, not at once), and returns that output.
    func waitForStatusJSON(
        configPath: String, _ what: String, timeout: Duration = .seconds(20),
        until condition: (StatusOutput) -> Bool
    ) async throws -> StatusOutput {
        let deadline = ContinuousClock.now + timeout
        var last: StatusOutput?
        while ContinuousClock.now < deadline {
            let output = try await status(configPath: configPath)
            if condition(output) { return output }
            last = output
            try await Task.sleep(for: .milliseconds(250))
        }
        throw HarnessError(
            "timed out after \(timeout) waiting for `status --json` to show \(what); last seen:\n"
                + (last?.text ?? "(nothing)"))
    }
}

/// Runs `body` with a fresh `DaemonHarness`; the simulator knows `prod` and `staging` (no connectors).
func withDaemonHarness<T>(_ body: (DaemonHarness) async throws -> T) async throws -> T {
    try await withSimulator { simulator in
        for account in [TestAccount.prod, .staging] {
            simulator.addAccount(id: account.id, token: account.token)
        }
        return try await withReceiver { receiver in
            try await withTemporaryDirectory(prefix: "ssowatch-daemon") { directory in
                let notify = try NotifySocket(in: directory)
                defer { notify.stop() }
                let polls = Observed<[RecordedRequest]>([])
                let deliveries = Observed<[RecordedRequest]>([])
                simulator.onRequest = { request in polls.update { $0.append(request) } }
                receiver.onRequest = { request in deliveries.update { $0.append(request) } }
                defer {
                    simulator.onRequest = nil
                    receiver.onRequest = nil
                }
                return try await body(
                    DaemonHarness(
                        simulator: simulator, receiver: receiver, directory: directory, notify: notify, polls: polls,
                        deliveries: deliveries))
            }
        }
    }
}

/// The output of `ssowatch status --json` (docs/COMMANDS.md), as the tests read it.
struct StatusOutput: Sendable {
    struct Account: Sendable, Decodable {
        var name: String
        var accountID: String
        var enabled: Bool?
        var lastPoll: String?
        var lastSuccess: String?
        var lastError: String?
        var overdue: Bool
        var connectors: Int

        enum CodingKeys: String, CodingKey {
            case name, enabled, connectors, overdue
            case accountID = "account_id"
            case lastPoll = "last_poll"
            case lastSuccess = "last_success"
            case lastError = "last_error"
        }
    }

    struct Connector: Sendable, Decodable {
        var account: String
        var accountID: String
        var id: String
        var emailDomain: String?
        var status: String
        var statusSince: String?
        var enabled: Bool?
        var lastSeen: String?
        var verificationCode: String?

        enum CodingKeys: String, CodingKey {
            case account, id, status, enabled
            case accountID = "account_id"
            case emailDomain = "email_domain"
            case statusSince = "status_since"
            case lastSeen = "last_seen"
            case verificationCode = "verification_code"
        }
    }

    struct Webhook: Sendable, Decodable {
        var name: String
        var type: String?
        var host: String?
        var queued: Int
        var failing: Bool
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case name, type, host, queued, failing
            case lastError = "last_error"
        }
    }

    /// The top-level `state` object: the daemon's last successful state write and the last failed one's reason.
    struct State: Sendable, Decodable {
        var lastSaved: String?
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case lastSaved = "last_saved"
            case lastError = "last_error"
        }
    }

    private struct Document: Decodable {
        var accounts: [Account]
        var connectors: [Connector]
        var webhooks: [Webhook]
        var outbox: Int
        var state: State?
    }

    var accounts: [Account]
    var connectors: [Connector]
    var webhooks: [Webhook]
    var outbox: Int
    /// `nil` when the output has no `state` object (a version before it existed).
    var state: State?
    /// The text it was parsed from.
    var text: String

    init(parsing text: String) throws {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(text.utf8))
        } catch {
            throw HarnessError("`status --json` printed something unexpected (\(error)):\n\(text)")
        }
        accounts = document.accounts
        connectors = document.connectors
        webhooks = document.webhooks
        outbox = document.outbox
        state = document.state
        self.text = text
    }

    func account(_ name: String) -> Account? { accounts.first { $0.name == name } }

    func connector(_ id: String) -> Connector? { connectors.first { $0.id == id } }

    /// The webhook called `name`, or a harness error naming the ones there are.
    func webhook(_ name: String) throws -> Webhook {
        guard let webhook = webhooks.first(where: { $0.name == name }) else {
            throw HarnessError("`ssowatch status --json` lists no webhook \(name): \(webhooks.map(\.name))")
        }
        return webhook
    }
}

/// A `generic` webhook request (docs/NOTIFICATIONS.md) as the tests read it.
struct GenericDelivery: Sendable, CustomStringConvertible {
    var webhookID: String?
    var type: String
    var timestamp: String
    var accountName: String?
    var accountID: String?
    var connectorID: String?
    var domain: String?
    var status: String?
    var previousStatus: String?
    var verificationCode: String?
    var dnsRecordValue: String?
    /// Whether the request was answered with a 2xx status.
    var succeeded: Bool
    var previousStatusSince: String?
    var connectorEnabled: Bool?
    /// The keys of the body, of `data`, of `data.account` and of `data.connector`.
    var keys: (top: Set<String>, data: Set<String>, account: Set<String>, connector: Set<String>)

    init(_ request: RecordedRequest) throws {
        guard let object = request.jsonObject else {
            throw HarnessError("a generic webhook body is not a JSON object: \(request.bodyString)")
        }
        let data = object["data"] as? [String: Any]
        let account = data?["account"] as? [String: Any]
        let connector = data?["connector"] as? [String: Any]
        webhookID = request.header("webhook-id")
        type = object["type"] as? String ?? "?"
        timestamp = object["timestamp"] as? String ?? "?"
        accountName = account?["name"] as? String
        accountID = account?["id"] as? String
        connectorID = connector?["id"] as? String
        domain = connector?["email_domain"] as? String
        status = data?["status"] as? String
        previousStatus = data?["previous_status"] as? String
        verificationCode = data?["verification_code"] as? String
        dnsRecordValue = (data?["dns_record"] as? [String: Any])?["value"] as? String
        succeeded = (request.responseStatus ?? 0) / 100 == 2
        previousStatusSince = data?["previous_status_since"] as? String
        connectorEnabled = connector?["enabled"] as? Bool
        keys = (
            Set(object.keys), Set(data?.keys.map { $0 } ?? []), Set(account?.keys.map { $0 } ?? []),
            Set(connector?.keys.map { $0 } ?? [])
        )
    }

    /// `connector.verified example.com pending→verified (prod)`.
    var description: String {
        "\(type) \(domain ?? "?") \(previousStatus ?? "nil")→\(status ?? "nil") (\(accountName ?? "?"))"
    }
}
