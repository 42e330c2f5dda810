import Foundation
import SSOWatchTestSupport
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The text a Prometheus scrape gets from ``SSOWatchMetrics``: names, labels and values.
@Suite struct MetricsTests {
    static let prodID = ConfigFixture.accountID
    static let stagingID = ConfigFixture.otherAccountID
    static let labsID = "11111111111111111111111111111111"
    static let sharedToken = "shared-token-value-9f8e7d"
    static let since = Date(timeIntervalSince1970: 1_795_947_300)

    /// prod and staging share a token (prod first); labs has its own; off is disabled; one webhook.
    static func configuration(extra: [String] = []) throws -> Configuration {
        try ConfigFixture.parse(
            [
                "[daemon]", "api_token_env = SHARED", "metrics_listen = 9469",
                "[account \"prod\"]", "account_id = \(prodID)",
                "[account \"staging\"]", "account_id = \(stagingID)",
                "[account \"labs\"]", "account_id = \(labsID)", "api_token_env = LABS",
                "[account \"off\"]", "account_id = 22222222222222222222222222222222", "enabled = no",
            ] + ConfigFixture.webhook() + extra,
            environment: ["SHARED": sharedToken, "LABS": "labs-token-value"])
    }

    static func connector(_ id: String, _ domain: String?, _ status: VerificationStatus?, since: Date = since)
        -> ConnectorState
    {
        ConnectorState(
            id: id, emailDomain: domain, status: status, rawStatus: status?.rawValue, statusSince: since,
            lastSeen: since)
    }

    static func account(_ id: String, _ name: String, failures: Int = 0, _ connectors: [ConnectorState])
        -> AccountState
    {
        AccountState(
            accountID: id, name: name, baselineDone: true, consecutiveFailures: failures,
            connectors: Dictionary(uniqueKeysWithValues: connectors.map { ($0.id, $0) }))
    }

    static func status(_ account: String, _ connector: String, _ domain: String, _ status: String) -> String {
        "ssowatch_connector_status{account=\"\(account)\",connector=\"\(connector)\",domain=\"\(domain)\","
            + "status=\"\(status)\"}"
    }

    /// The status series of one connector that are 1.
    static func current(_ samples: [String: String], _ connector: String) -> [String] {
        samples.filter {
            $0.key.hasPrefix("ssowatch_connector_status{") && $0.key.contains("connector=\"\(connector)\"")
        }
        .filter { $0.value == "1" }.map(\.key)
    }

    @Test func connectorStatusHasOneSeriesPerStatusWithOneForTheCurrent() throws {
        let config = try Self.configuration()
        let metrics = SSOWatchMetrics()
        let state = StateDocument(accounts: [
            Self.prodID: Self.account(
                Self.prodID, "prod", [Self.connector("c1", "example.com", .failed), Self.connector("c2", nil, nil)])
        ])
        metrics.update(from: state, configuration: config)
        let text = metrics.render()
        let samples = prometheusSamples(text)
        for status in ["awaiting", "pending", "verified", "failed", "unknown"] {
            #expect(samples[Self.status("prod", "c1", "example.com", status)] == (status == "failed" ? "1" : "0"))
            #expect(samples[Self.status("prod", "c2", "", status)] == (status == "unknown" ? "1" : "0"))
        }
        let since = "ssowatch_connector_status_since_seconds{account=\"prod\",connector=\"c1\",domain=\"example.com\"}"
        #expect(samples[since] == "1795947300")
        #expect(text.contains("# TYPE ssowatch_connector_status gauge\n"))
        #expect(text.contains("# TYPE ssowatch_connector_status_since_seconds gauge\n"))
        // Enabled accounts are all listed, polled or not; the disabled one is not.
        #expect(samples["ssowatch_account_consecutive_failures{account=\"prod\"}"] == "0")
        #expect(samples["ssowatch_account_consecutive_failures{account=\"labs\"}"] == "0")
        #expect(!text.contains("account=\"off\""))
    }

    @Test func pollIntervalFollowsTheAccountsPace() throws {
        let config = try Self.configuration()
        let prod = try #require(config.account(named: "prod"))
        let metrics = SSOWatchMetrics()
        metrics.update(from: StateDocument(), configuration: config)
        let series = "ssowatch_account_poll_interval_seconds{account=\"prod\"}"
        #expect(prometheusSamples(metrics.render())[series] == "300", "never polled: poll_interval")
        #expect(metrics.render().contains("# TYPE ssowatch_account_poll_interval_seconds gauge\n"))
        metrics.update(
            account: prod, state: Self.account(Self.prodID, "prod", [Self.connector("c1", "example.com", .verified)]))
        #expect(prometheusSamples(metrics.render())[series] == "1800", "settled: settled_poll_interval")
        metrics.update(
            account: prod,
            state: Self.account(
                Self.prodID, "prod",
                [Self.connector("c1", "example.com", .verified), Self.connector("c2", "example.org", .pending)]))
        #expect(prometheusSamples(metrics.render())[series] == "300", "a pending connector: poll_interval")
    }

    @Test func aStatusChangeMovesTheOneAndLeavesNoStaleSeries() throws {
        let config = try Self.configuration()
        let prod = try #require(config.account(named: "prod"))
        let metrics = SSOWatchMetrics()
        metrics.update(
            account: prod, state: Self.account(Self.prodID, "prod", [Self.connector("c1", "example.com", .pending)]))
        #expect(
            Self.current(prometheusSamples(metrics.render()), "c1") == [
                Self.status("prod", "c1", "example.com", "pending")
            ])

        let later = Self.since.addingTimeInterval(600)
        metrics.update(
            account: prod,
            state: Self.account(Self.prodID, "prod", [Self.connector("c1", "example.com", .verified, since: later)]))
        let samples = prometheusSamples(metrics.render())
        #expect(Self.current(samples, "c1") == [Self.status("prod", "c1", "example.com", "verified")])
        #expect(samples[Self.status("prod", "c1", "example.com", "pending")] == "0")
        #expect(samples.keys.filter { $0.contains("connector=\"c1\"") }.count == 6, "5 statuses and since")
        #expect(
            samples["ssowatch_connector_status_since_seconds{account=\"prod\",connector=\"c1\",domain=\"example.com\"}"]
                == "1795947900")
    }

    @Test func aRemovedConnectorOrAccountDisappears() throws {
        let config = try Self.configuration()
        let prod = try #require(config.account(named: "prod"))
        let metrics = SSOWatchMetrics()
        let both = [Self.connector("c1", "a.example.com", .failed), Self.connector("c2", "b.example.com", .verified)]
        metrics.update(
            from: StateDocument(accounts: [Self.prodID: Self.account(Self.prodID, "prod", both)]), configuration: config
        )
        #expect(metrics.render().contains("connector=\"c1\""))

        metrics.update(account: prod, state: Self.account(Self.prodID, "prod", [both[1]]))
        let text = metrics.render()
        #expect(!text.contains("connector=\"c1\""), "no stale series, and no stale 1: \(text)")
        #expect(Self.current(prometheusSamples(text), "c2") == [Self.status("prod", "c2", "b.example.com", "verified")])

        // A reload that disables prod removes all of its series.
        let reloaded = try ConfigFixture.parse(
            [
                "[account \"prod\"]", "account_id = \(Self.prodID)", "enabled = no", "[account \"labs\"]",
                "account_id = \(Self.labsID)",
            ])
        metrics.update(
            from: StateDocument(accounts: [Self.prodID: Self.account(Self.prodID, "prod", both)]),
            configuration: reloaded)
        #expect(!metrics.render().contains("account=\"prod\""))
    }

    @Test func pollsRequestsAndNotificationsAreCounted() throws {
        let metrics = SSOWatchMetrics()
        metrics.configure(try Self.configuration())
        var samples = prometheusSamples(metrics.render())
        // Every label set a user alerts on exists from the start, at 0.
        for account in ["prod", "staging", "labs"] {
            #expect(samples["ssowatch_polls_total{account=\"\(account)\",result=\"success\"}"] == "0")
            #expect(samples["ssowatch_polls_total{account=\"\(account)\",result=\"error\"}"] == "0")
        }
        #expect(!samples.keys.contains { $0.contains("account=\"off\"") })
        for result in ["delivered", "retry", "failed", "dropped"] {
            #expect(samples["ssowatch_notifications_total{webhook=\"chat\",result=\"\(result)\"}"] == "0")
        }

        metrics.recordPoll(account: "prod", result: .success, duration: .milliseconds(120))
        metrics.recordPoll(account: "prod", result: .error, duration: .seconds(2))
        metrics.recordPoll(account: "prod", result: .success, duration: .milliseconds(80))
        metrics.recordAPIRequest(code: 200)
        metrics.recordAPIRequest(code: 200)
        metrics.recordAPIRequest(code: 429)
        metrics.recordAPIRequest(code: nil)
        for outcome in ["called", "would_call", "refused", "error"] {
            #expect(samples["ssowatch_auto_begin_total{outcome=\"\(outcome)\"}"] == "0")
        }
        metrics.recordAutoBegin(.called)
        metrics.recordAutoBegin(.refused)
        metrics.recordAutoBegin(.refused)
        metrics.recordNotification(webhook: "chat", result: .delivered, count: 4)
        metrics.recordNotification(webhook: "chat", result: .dropped)
        metrics.setOutboxEvents(7)
        let text = metrics.render()
        samples = prometheusSamples(text)
        #expect(samples["ssowatch_polls_total{account=\"prod\",result=\"success\"}"] == "2")
        #expect(samples["ssowatch_polls_total{account=\"prod\",result=\"error\"}"] == "1")
        #expect(samples["ssowatch_api_requests_total{code=\"200\"}"] == "2")
        #expect(samples["ssowatch_api_requests_total{code=\"429\"}"] == "1")
        #expect(samples["ssowatch_api_requests_total{code=\"error\"}"] == "1")
        #expect(samples["ssowatch_notifications_total{webhook=\"chat\",result=\"delivered\"}"] == "4")
        #expect(samples["ssowatch_notifications_total{webhook=\"chat\",result=\"dropped\"}"] == "1")
        #expect(samples["ssowatch_auto_begin_total{outcome=\"called\"}"] == "1")
        #expect(samples["ssowatch_auto_begin_total{outcome=\"refused\"}"] == "2")
        #expect(samples["ssowatch_auto_begin_total{outcome=\"error\"}"] == "0")
        #expect(samples["ssowatch_outbox_events"] == "7.0")
        #expect(samples["ssowatch_poll_duration_seconds_count"] == "3")
        #expect(samples["ssowatch_poll_duration_seconds_bucket{le=\"0.1\"}"] == "1")
        #expect(samples["ssowatch_poll_duration_seconds_bucket{le=\"0.25\"}"] == "2")
        #expect(samples["ssowatch_poll_duration_seconds_bucket{le=\"+Inf\"}"] == "3")
        #expect(text.contains("# TYPE ssowatch_polls_total counter\n"))
        #expect(text.contains("# TYPE ssowatch_poll_duration_seconds histogram\n"))
        #expect(samples["ssowatch_build_info{version=\"\(SSOWatchVersion.string)\"}"] == "1.0")
    }

    @Test func theTokenLabelIsTheFirstAccountNameNeverTheToken() throws {
        let config = try Self.configuration()
        let metrics = SSOWatchMetrics()
        metrics.configure(config)
        metrics.updateRateLimit(accountNames: ["prod", "staging"], remaining: 1180)
        metrics.updateRateLimit(accountNames: ["labs"], remaining: 12)
        var text = metrics.render()
        #expect(prometheusSamples(text)["ssowatch_rate_limit_remaining{token=\"prod\"}"] == "1180.0")
        #expect(prometheusSamples(text)["ssowatch_rate_limit_remaining{token=\"labs\"}"] == "12.0")
        for secret in [Self.sharedToken, "labs-token-value", ConfigFixture.environmentToken, "hooks.example.com"] {
            #expect(!text.contains(secret))
        }
        #expect(SSOWatchMetrics.tokenLabels(config) == [Self.sharedToken: "prod", "labs-token-value": "labs"])

        // A reload that removes labs (and its token) and the webhook drops their series.
        let reloaded = try ConfigFixture.parse(
            ["[daemon]", "api_token_env = SHARED", "[account \"prod\"]", "account_id = \(Self.prodID)"],
            environment: ["SHARED": Self.sharedToken])
        metrics.configure(reloaded)
        text = metrics.render()
        #expect(text.contains("ssowatch_rate_limit_remaining{token=\"prod\"} 1180.0"))
        #expect(!text.contains("token=\"labs\""))
        #expect(!text.contains("account=\"labs\""))
        #expect(!text.contains("webhook=\"chat\""))
    }

    @Test func labelValuesAreEscaped() throws {
        var gauges = StateGauges()
        gauges.accounts["x"] = StateGauges.Account(
            name: "prod", consecutiveFailures: 2, overdue: true, lastSuccess: 1_764_410_400,
            connectors: [.init(id: "c\"1", domain: "a\\b\nc.example.com", status: "failed", since: 5)])
        var text = ""
        gauges.render(into: &text)
        #expect(
            text.contains(
                #"ssowatch_connector_status{account="prod",connector="c\"1",domain="a\\b\nc.example.com","#
                    + #"status="failed"} 1"#))
        #expect(text.contains("ssowatch_account_consecutive_failures{account=\"prod\"} 2\n"))
        #expect(text.contains("ssowatch_account_overdue{account=\"prod\"} 1\n"))
        #expect(text.contains("ssowatch_account_last_success_timestamp_seconds{account=\"prod\"} 1764410400\n"))
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("#") || $0.hasPrefix("ssowatch_") })
    }

    @Test func theDNSCheckGaugeHasOneSeriesPerResultForCheckedConnectorsOnly() throws {
        var gauges = StateGauges()
        gauges.accounts["x"] = StateGauges.Account(
            name: "prod", consecutiveFailures: 0, overdue: false, lastSuccess: nil,
            connectors: [
                .init(id: "c1", domain: "a.example.com", status: "pending", since: 5, dnsResult: "near_miss"),
                .init(id: "c2", domain: "b.example.com", status: "verified", since: 5),
            ])
        var text = ""
        gauges.render(into: &text)
        let series = text.split(separator: "\n").filter { $0.hasPrefix("ssowatch_dns_check{") }
        #expect(series.count == 5, "five results for c1, none for c2: \(series)")
        #expect(
            series.contains(
                #"ssowatch_dns_check{account="prod",connector="c1",domain="a.example.com",result="near_miss"} 1"#))
        #expect(series.filter { $0.hasSuffix(" 1") }.count == 1)
        #expect(text.contains("# TYPE ssowatch_dns_check gauge\n"))
    }
}
