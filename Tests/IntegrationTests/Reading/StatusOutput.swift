import Foundation

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
        /// `frequent` or `settled` (adaptive polling); `nil` for a disabled account.
        var pace: String?
        /// Seconds between polls at that pace; `nil` without a configuration or for a disabled account.
        var interval: Int?
        var connectors: Int

        enum CodingKeys: String, CodingKey {
            case name, enabled, connectors, overdue, pace, interval
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
        /// The latest DNS check, `nil` when none ran.
        var dns: DNS?
        /// The latest `auto_begin_verification` attempt, `nil` when none was made.
        var autoBegin: AutoBegin?

        struct AutoBegin: Sendable, Decodable {
            var mode: String
            var outcome: String
            var at: String
            var detail: String
        }

        struct DNS: Sendable, Decodable {
            var result: String
            var detail: String
            var nameservers: [String]
            var agreeing: Int
            var checked: String
        }

        enum CodingKeys: String, CodingKey {
            case account, id, status, enabled, dns
            case accountID = "account_id"
            case emailDomain = "email_domain"
            case statusSince = "status_since"
            case lastSeen = "last_seen"
            case verificationCode = "verification_code"
            case autoBegin = "auto_begin"
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

    /// The top-level `ha` object of an active/passive pair (docs/HA.md).
    struct Pair: Sendable, Decodable {
        struct Leader: Sendable, Decodable {
            var host: String
            var pid: Int
            var epoch: Int
        }

        var role: String
        var leader: Leader?
    }

    private struct Document: Decodable {
        var accounts: [Account]
        var connectors: [Connector]
        var webhooks: [Webhook]
        var outbox: Int
        var state: State?
        var ha: Pair?
    }

    var accounts: [Account]
    var connectors: [Connector]
    var webhooks: [Webhook]
    var outbox: Int
    /// `nil` when the output has no `state` object (a version before it existed).
    var state: State?
    /// `nil` for `"ha": null` (no pair).
    var ha: Pair?
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
        ha = document.ha
        self.text = text
    }

    func account(_ name: String) -> Account? { accounts.first { $0.name == name } }

    func connector(_ id: String) -> Connector? { connectors.first { $0.id == id } }

    /// Connector id → status as shown.
    var statuses: [String: String] {
        Dictionary(connectors.map { ($0.id, $0.status) }, uniquingKeysWith: { first, _ in first })
    }

    /// The webhook called `name`, or a harness error naming the ones there are.
    func webhook(_ name: String) throws -> Webhook {
        guard let webhook = webhooks.first(where: { $0.name == name }) else {
            throw HarnessError("`ssowatch status --json` lists no webhook \(name): \(webhooks.map(\.name))")
        }
        return webhook
    }
}
