import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

@Suite struct StatusReportTests {
    private static let stagingID = "0123456789abcdef0123456789abcdef"

    private var configuration: Configuration {
        F.configuration(
            accounts: [F.account("prod"), F.account("staging", id: Self.stagingID, enabled: false)],
            webhooks: [
                F.webhook("ops", url: "https://hooks.slack.com/services/T/B/X"),
                F.webhook("audit", type: .generic, url: "https://audit.example.net/hook?token=secret"),
            ])
    }

    private var state: StateDocument {
        let connector = ConnectorState(
            id: "7d1f", emailDomain: "example.com", enabled: false, status: .pending, rawStatus: "pending",
            statusSince: F.at(-3600), lastSeen: F.t0, verificationCode: "cloudflare_dashboard_sso=7d1f")
        return StateDocument(
            accounts: [
                F.accountID: AccountState(
                    accountID: F.accountID, name: "prod", baselineDone: true, lastPoll: F.t0, lastSuccess: F.t0,
                    connectors: ["7d1f": connector]),
                Self.stagingID: AccountState(
                    accountID: Self.stagingID, name: "staging", lastPoll: F.at(-0.75), lastError: "HTTP 403",
                    consecutiveFailures: 2, overdue: true),
            ],
            outbox: [OutboxEntry(event: F.event(.pending), webhook: "audit", enqueuedAt: F.t0)],
            webhooks: ["audit": WebhookDeliveryState(lastError: "HTTP 500", failing: true)])
    }

    @Test func statusJSONHasTheDocumentedShape() {
        let expected = """
            {
              "accounts": [
                {
                  "name": "prod",
                  "account_id": "023e105f4ecef8ad9ca31a8372d0c353",
                  "enabled": true,
                  "last_poll": "2026-11-29T10:15:00Z",
                  "last_success": "2026-11-29T10:15:00Z",
                  "last_error": null,
                  "overdue": false,
                  "pace": "frequent",
                  "interval": 300,
                  "connectors": 1
                },
                {
                  "name": "staging",
                  "account_id": "0123456789abcdef0123456789abcdef",
                  "enabled": false,
                  "last_poll": "2026-11-29T10:14:59Z",
                  "last_success": null,
                  "last_error": "HTTP 403",
                  "overdue": true,
                  "pace": null,
                  "interval": null,
                  "connectors": 0
                }
              ],
              "connectors": [
                {
                  "account": "prod",
                  "account_id": "023e105f4ecef8ad9ca31a8372d0c353",
                  "id": "7d1f",
                  "email_domain": "example.com",
                  "status": "pending",
                  "status_since": "2026-11-29T09:15:00Z",
                  "enabled": false,
                  "last_seen": "2026-11-29T10:15:00Z",
                  "verification_code": "cloudflare_dashboard_sso=7d1f",
                  "dns": null,
                  "auto_begin": null
                }
              ],
              "webhooks": [
                {
                  "name": "ops",
                  "type": "slack",
                  "host": "hooks.slack.com",
                  "queued": 0,
                  "failing": false,
                  "last_error": null
                },
                {
                  "name": "audit",
                  "type": "generic",
                  "host": "audit.example.net",
                  "queued": 1,
                  "failing": true,
                  "last_error": "HTTP 500"
                }
              ],
              "outbox": 1,
              "state": {
                "last_saved": "2026-11-29T10:15:00Z",
                "last_error": "cannot write the state file /x (writing): No space left on device (errno 28)"
              },
              "ha": null
            }
            """
        let health = StateHealth(
            lastSaved: F.t0, lastError: "cannot write the state file /x (writing): No space left on device (errno 28)")
        let json = StatusReport.json(state: state, configuration: configuration, now: F.t0, health: health)
        #expect(json == expected)
        #expect(!json.contains("secret"))
        #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(json.utf8)) }
    }

    @Test func withoutAConfigurationTheStateFileIsShownAsIs() throws {
        let json = StatusReport.json(state: state, configuration: nil, now: F.t0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let accounts = try #require(object["accounts"] as? [[String: Any]])
        #expect(accounts.map { $0["name"] as? String } == ["prod", "staging"])
        #expect(accounts.allSatisfy { $0["enabled"] is NSNull })
        let webhooks = try #require(object["webhooks"] as? [[String: Any]])
        #expect(webhooks.map { $0["name"] as? String } == ["audit"])
        #expect(webhooks.first?["type"] is NSNull)
        #expect(webhooks.first?["queued"] as? Int == 1)
    }

    @Test func anEmptyStateIsEmptyLists() {
        let json = StatusReport.json(state: StateDocument(), configuration: nil, now: F.t0)
        #expect(
            json == "{\n  \"accounts\": [],\n  \"connectors\": [],\n  \"webhooks\": [],\n  \"outbox\": 0,\n"
                + "  \"state\": {\n    \"last_saved\": null,\n    \"last_error\": null\n  },\n  \"ha\": null\n}")
    }

    @Test func aPairShowsItsLeaderInJSONAndText() throws {
        let leader = LeaderRecord(host: "db-host-a", pid: 4242, epoch: 7, since: F.t0.addingTimeInterval(-90))
        let pair = PairStatus(role: .standby, leader: leader, database: "db.example.com:5432/ssowatch")
        let json = StatusReport.json(state: StateDocument(), configuration: nil, now: F.t0, pair: pair)
        #expect(
            json.hasSuffix(
                "\"ha\": {\n    \"role\": \"standby\",\n    \"leader\": {\n      \"host\": \"db-host-a\",\n"
                    + "      \"pid\": 4242,\n      \"epoch\": 7\n    }\n  }\n}"), "\(json)")
        let text = StatusReport.text(state: StateDocument(), configuration: nil, now: F.t0, pair: pair)
        #expect(text.hasPrefix("Pair (PostgreSQL db.example.com:5432/ssowatch): this host is standby\n"), "\(text)")
        #expect(text.contains("leader: db-host-a (pid 4242, epoch 7) since"), "\(text)")
        let none = PairStatus(role: .standby, leader: nil, database: "db.example.com:5432/ssowatch")
        #expect(
            StatusReport.json(state: StateDocument(), configuration: nil, now: F.t0, pair: none).contains(
                "\"leader\": null"))
    }

    @Test func stringsAreEscaped() {
        var doc = state
        doc.accounts[Self.stagingID]?.lastError = "bad \"quote\"\\\n\u{1}"
        let json = StatusReport.json(state: doc, configuration: configuration, now: F.t0)
        #expect(json.contains(#""last_error": "bad \"quote\"\\\n\u0001""#))
    }

    @Test func theTextFormNamesEverythingAPersonNeeds() {
        let text = StatusReport.text(state: state, configuration: configuration, now: F.at(300))
        #expect(
            text.contains(
                "prod (023e105f4ecef8ad9ca31a8372d0c353): 1 connector; polled every 5m (frequent); last poll "
                    + "2026-11-29 10:15:00 UTC (5m ago); ok"))
        #expect(text.contains("staging (0123456789abcdef0123456789abcdef): disabled; 0 connectors;"))
        #expect(text.contains("FAILING (2 failed polls): HTTP 403"))
        #expect(text.contains("ACCOUNT  DOMAIN       STATUS   SINCE"))
        #expect(text.contains("prod     example.com  pending  2026-11-29 09:15:00 UTC (1h5m ago)  no       7d1f"))
        #expect(text.contains("audit (generic, audit.example.net): 1 queued; FAILING: HTTP 500"))
        #expect(text.contains("ops (slack, hooks.slack.com): 0 queued; ok"))
        #expect(text.hasSuffix("Outbox: 1 undelivered notification\n"))
    }

    @Test(arguments: [
        (0.0, "0s"), (45, "45s"), (60, "1m"), (312, "5m12s"), (3600, "1h"), (7500, "2h5m"),
        (90_061, "1d1h"),
    ])
    func roughDurations(seconds: TimeInterval, expected: String) {
        #expect(StatusReport.roughDuration(seconds) == expected)
    }
}

@Suite struct StatusLineTests {
    private func account(_ name: String, _ index: Int, statuses: [String?], error: String? = nil) -> AccountState {
        var connectors: [String: ConnectorState] = [:]
        for (number, status) in statuses.enumerated() {
            let id = "\(name)-\(number)"
            connectors[id] = ConnectorState(
                id: id, status: status.flatMap(VerificationStatus.init(rawValue:)), rawStatus: status,
                statusSince: F.t0, lastSeen: F.t0)
        }
        return AccountState(
            accountID: String(repeating: String(index), count: 32), name: name, baselineDone: true,
            lastError: error, consecutiveFailures: error == nil ? 0 : 1, connectors: connectors)
    }

    private func document(_ accounts: [AccountState], queued: Int = 0) -> StateDocument {
        StateDocument(
            accounts: Dictionary(uniqueKeysWithValues: accounts.map { ($0.accountID, $0) }),
            outbox: (0..<queued).map { _ in OutboxEntry(event: F.event(.verified), webhook: "ops", enqueuedAt: F.t0) })
    }

    private func configuration(_ accounts: [AccountState], webhooks: [WebhookConfig] = []) -> Configuration {
        F.configuration(accounts: accounts.map { F.account($0.name, id: $0.accountID) }, webhooks: webhooks)
    }

    @Test func theSpecExample() {
        let accounts = [
            account("prod", 1, statuses: Array(repeating: "verified", count: 4) + ["failed"], error: "HTTP 403"),
            account("staging", 2, statuses: Array(repeating: "verified", count: 3) + ["pending", "pending"]),
            account("dev", 3, statuses: Array(repeating: "verified", count: 3) + ["pending"]),
        ]
        let line = StatusLine.render(state: document(accounts), configuration: configuration(accounts))
        #expect(
            line == "14 connectors in 3 accounts: 10 verified, 3 pending, 1 failed; 0 notifications queued; "
                + "1 account failing (prod: HTTP 403)")
    }

    @Test func failingAccountsAndWebhooksAreNamedUpToThree() {
        let accounts = (1...5).map { account("a\($0)", $0, statuses: [], error: "HTTP 50\($0)") }
        var doc = document(accounts, queued: 1)
        doc.webhooks["ops"] = WebhookDeliveryState(lastError: "HTTP 404\nnot found", failing: true)
        let line = StatusLine.render(state: doc, configuration: configuration(accounts, webhooks: [F.webhook("ops")]))
        #expect(
            line == "0 connectors in 5 accounts; 1 notification queued; "
                + "5 accounts failing (a1: HTTP 501, a2: HTTP 502, a3: HTTP 503, +2 more); "
                + "1 webhook failing (ops: HTTP 404 not found)")
    }

    @Test func unknownStatusesAreCountedAsUnknownAndDisabledAccountsLeftOut() {
        let accounts = [
            account("prod", 1, statuses: [nil, "expired", "awaiting"]), account("old", 2, statuses: ["failed"]),
        ]
        var config = configuration(accounts)
        config.accounts[1].enabled = false
        let line = StatusLine.render(state: document(accounts), configuration: config)
        #expect(line == "3 connectors in 1 account: 1 awaiting, 2 unknown; 0 notifications queued")
        let everything = StatusLine.render(state: document(accounts), configuration: nil)
        #expect(everything == "4 connectors in 2 accounts: 1 awaiting, 1 failed, 2 unknown; 0 notifications queued")
    }

    @Test func longErrorsAreShortened() {
        let accounts = [account("prod", 1, statuses: [], error: String(repeating: "x", count: 200))]
        let line = StatusLine.render(state: document(accounts), configuration: nil)
        #expect(line.hasSuffix("(prod: " + String(repeating: "x", count: 59) + "…)"))
    }
}
