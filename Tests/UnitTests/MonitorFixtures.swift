import Foundation

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// Literals and factories shared by the monitor/state tests (namespaced so other suites' helpers
/// in this target cannot clash with them).
enum MonitorFixtures {
    /// 2026-11-29T10:15:00Z.
    static let t0 = Date(timeIntervalSince1970: 1_795_947_300)
    static let accountID = "023e105f4ecef8ad9ca31a8372d0c353"

    static func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    static func connector(
        _ id: String?, _ status: String?, domain: String? = nil, enabled: Bool? = false, code: String? = nil
    ) -> Connector {
        Connector(
            id: id, emailDomain: domain ?? id.map { "\($0).example.com" }, enabled: enabled,
            verificationCode: code ?? id.map { "cloudflare_dashboard_sso=\($0)" }, rawStatus: status)
    }

    /// One successful poll of the account `prod`.
    static func poll(
        _ previous: AccountState?, _ connectors: [Connector], at now: Date = t0, notifyOnFirstSeen: Bool = false,
        stuckAfter: TimeInterval? = nil, name: String = "prod"
    ) -> TransitionResult {
        TransitionEngine.apply(
            previous: previous, connectors: connectors, accountName: name, accountID: accountID, now: now,
            notifyOnFirstSeen: notifyOnFirstSeen, stuckAfter: stuckAfter)
    }

    static func account(
        _ name: String, id: String = accountID, webhooks: [String] = [], enabled: Bool = true
    ) -> AccountConfig {
        AccountConfig(
            name: name, accountID: id, token: Secret("token", source: "test"), pollInterval: 300,
            webhooks: webhooks, enabled: enabled, line: 1)
    }

    static func webhook(
        _ name: String, type: WebhookType = .slack, url: String = "https://hooks.example.com/services/T000/B000/XXXX",
        events: Set<EventKind> = [.verified, .failed]
    ) -> WebhookConfig {
        WebhookConfig(
            name: name, type: type, url: Secret(url, source: "test"), events: events, secret: nil, timeout: 15,
            line: 1)
    }

    static func configuration(accounts: [AccountConfig], webhooks: [WebhookConfig]) -> Configuration {
        Configuration(
            path: "/etc/ssowatch/ssowatch.ini", daemon: DaemonConfig.defaults(environment: [:]), accounts: accounts,
            webhooks: webhooks, warnings: [])
    }

    static func event(
        _ kind: EventKind, connector: String = "c1", at date: Date = t0, status: String? = nil
    ) -> ConnectorEvent {
        ConnectorEvent(
            kind: kind, detectedAt: date, accountName: "prod", accountID: accountID, connectorID: connector,
            emailDomain: "\(connector).example.com", enabled: false, status: status ?? kind.rawValue,
            previousStatus: nil, previousStatusSince: nil, verificationCode: nil)
    }

    /// A fresh directory under the system's temporary directory, removed after `body`.
    static func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ssowatch-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url.path)
    }
}
