import Foundation
import SSOWatchSimulator

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

extension ConfigFile {
    /// Adds `webhooks`, each pointing at its receiver among `receivers`.
    func webhooks(_ webhooks: [TestWebhook], on receivers: [WebhookReceiver]) -> ConfigFile {
        webhooks.reduce(self) { config, webhook in
            config.webhook(
                webhook.name, type: webhook.type, url: receivers[webhook.receiver].url(path: webhook.pathAndQuery),
                webhook.settings)
        }
    }

    /// Adds `[webhook "audit"]`: a `generic` webhook at `url` that gets every event (`events = all`).
    func auditWebhook(url: String) -> ConfigFile {
        webhook("audit", type: "generic", url: url, [("events", "all")])
    }
}
