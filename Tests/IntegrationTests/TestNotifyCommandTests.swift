import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// `ssowatch test-notify` as the built binary against a local receiver (docs/COMMANDS.md, §5).
@Suite struct TestNotifyCommandTests {
    /// One webhook of each type (Discord twice: with and without `?wait=true`), with the answer its
    /// service gives and the reply `test-notify` should print after `delivered, `.
    private static let services: [(webhook: TestWebhook, response: WebhookReceiver.Response, printed: String)] = [
        (TestWebhook.make("slack-ops", type: "slack"), .ok, "HTTP 200: ok"),
        (TestWebhook.make("discord-ops", type: "discord"), .noContent, "HTTP 204"),
        (
            TestWebhook.make("discord-wait", type: "discord", query: "wait=true"),
            .init(status: 200, headers: [("Content-Type", "application/json")], body: #"{"id":"1311111111111111111"}"#),
            #"HTTP 200: {"id":"1311111111111111111"}"#
        ),
        (TestWebhook.make("teams-ops", type: "teams"), .accepted, "HTTP 202"),
        (
            TestWebhook.make("gchat-ops", type: "google-chat"),
            .init(
                status: 200, headers: [("Content-Type", "application/json")],
                body: #"{"name":"spaces/AAAAssowatch/messages/x1.x1"}"#),
            #"HTTP 200: {"name":"spaces/AAAAssowatch/messages/x1.x1"}"#
        ),
        (TestWebhook.make("mm-ops", type: "mattermost"), .ok, "HTTP 200: ok"),
        (
            TestWebhook.make("rc-ops", type: "rocketchat"),
            .init(status: 200, headers: [("Content-Type", "application/json")], body: #"{"success":true}"#),
            #"HTTP 200: {"success":true}"#
        ),
        (
            TestWebhook.make("ntfy-ops", type: "ntfy"),
            .init(
                status: 200, headers: [("Content-Type", "application/json")],
                body: #"{"id":"sPs71M8A2T","event":"message"}"#),
            #"HTTP 200: {"id":"sPs71M8A2T","event":"message"}"#
        ),
        (
            TestWebhook.make("generic-ops", type: "generic"),
            .init(status: 200, headers: [("Content-Type", "text/plain")], body: "accepted"), "HTTP 200: accepted"
        ),
    ]

    @Test func everyWebhookGetsATestMessageAndItsReplyIsPrinted() async throws {
        try await withTestNotifySetup(webhooks: Self.services.map(\.webhook)) { setup in
            // test-notify sends to the webhooks one after the other, in file order.
            for service in Self.services { setup.receiver.enqueue(service.response) }
            let result = try await setup.run([])
            #expect(result.status == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(
                lines
                    == Self.services.map {
                        "\($0.webhook.name) (\($0.webhook.type), 127.0.0.1): delivered, \($0.printed)"
                    }, "\(result)")

            let requests = setup.receiver.received
            try #require(requests.count == Self.services.count)
            for (request, service) in zip(requests, Self.services) {
                let webhook = service.webhook
                #expect(request.method == "POST", "\(webhook)")
                #expect(request.path == webhook.path && request.query == webhook.query, "\(webhook)")
                #expect(request.header("User-Agent") == "ssowatch/\(SSOWatchVersion.string)", "\(webhook)")
                if webhook.type == "ntfy" {
                    #expect(request.header("Content-Type")?.hasPrefix("text/plain") == true)
                    #expect(request.header("Tags") == "bell")
                } else {
                    #expect(request.header("Content-Type") == "application/json", "\(webhook)")
                    #expect(request.jsonObject != nil, "\(webhook): \(request.bodyString)")
                }
                #expect(request.bodyString.contains(webhook.name), "\(webhook) names the webhook being tested")
                #expect(!webhook.isLeaked(in: result.stdout + result.stderr), "\(webhook)")
            }
        }
    }

    @Test func onlyTheNamedWebhookIsTested() async throws {
        let webhooks = ["one", "two", "three"].map { TestWebhook.make($0, type: "slack") }
        try await withTestNotifySetup(webhooks: webhooks) { setup in
            let result = try await setup.run(["--webhook", "two"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "two (slack, 127.0.0.1): delivered, HTTP 200: ok\n", "\(result)")
            let requests = setup.receiver.received
            #expect(requests.map(\.path) == [webhooks[1].path])
        }
    }

    @Test func aRefusingWebhookFailsWithTheServicesReasonAndTheOthersAreStillTested() async throws {
        let webhooks = [TestWebhook.make("gone", type: "slack"), TestWebhook.make("fine", type: "mattermost")]
        try await withTestNotifySetup(webhooks: webhooks) { setup in
            setup.receiver.enqueue(status: 404, headers: [("Content-Type", "text/plain")], body: "no_service")
            let result = try await setup.run([])
            #expect(result.status == 69, "\(result)")
            #expect(result.stdout.contains("gone (slack, 127.0.0.1): FAILED: HTTP 404: no_service\n"), "\(result)")
            #expect(result.stdout.contains("fine (mattermost, 127.0.0.1): delivered, HTTP 200: ok\n"), "\(result)")
            #expect(setup.receiver.received.map(\.path) == webhooks.map(\.path))
            for webhook in webhooks { #expect(!webhook.isLeaked(in: result.stdout + result.stderr)) }
        }
    }

    @Test func anUnknownWebhookNameIsAUsageErrorAndNothingIsSent() async throws {
        let webhooks = [TestWebhook.make("ops", type: "slack"), TestWebhook.make("alerts", type: "generic")]
        try await withTestNotifySetup(webhooks: webhooks) { setup in
            let result = try await setup.run(["--webhook", "nope"])
            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains("nope"), "\(result)")
            #expect(result.stderr.contains("ops, alerts"), "the message lists the webhooks there are: \(result)")
            #expect(result.stdout.isEmpty)
            #expect(setup.receiver.receivedCount == 0)
        }
    }

    @Test func theGenericTestBodyIsSignedWithTheSecret() async throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let signed = TestWebhook.make("signed", type: "generic", settings: [("secret", secret)])
        let unsigned = TestWebhook.make("unsigned", type: "generic")
        try await withTestNotifySetup(webhooks: [signed, unsigned]) { setup in
            let before = Int(Date().timeIntervalSince1970)
            let result = try await setup.run([])
            let after = Int(Date().timeIntervalSince1970)
            #expect(result.status == 0, "\(result)")
            let requests = setup.receiver.received
            try #require(requests.count == 2)
            for (request, name) in zip(requests, ["signed", "unsigned"]) {
                #expect(request.jsonObject?.keys.sorted() == ["data", "timestamp", "type"])
                #expect(request.string("type") == "test")
                #expect(request.string("data.webhook") == name)
                #expect(request.string("data.message")?.isEmpty == false)
                #expect((request.json("data") as? [String: Any])?.keys.sorted() == ["message", "webhook"])
                let timestamp = try #require(request.string("timestamp"))
                let parsed = try #require(ISO8601DateFormatter().date(from: timestamp), "\(timestamp)")
                #expect(Int(parsed.timeIntervalSince1970) >= before - 1 && Int(parsed.timeIntervalSince1970) <= after)
                let id = try #require(request.header("webhook-id"))
                #expect(!id.isEmpty && !id.contains("."), "\(id)")
                let unix = try #require(request.header("webhook-timestamp").flatMap(Int.init))
                #expect(unix >= before && unix <= after)
            }
            let request = requests[0]
            let id = request.header("webhook-id") ?? ""
            let unix = request.header("webhook-timestamp").flatMap(Int.init) ?? 0
            let signature = try #require(request.header("webhook-signature"))
            #expect(signature == (try expectedSignature(secret: secret, id: id, timestamp: unix, body: request.body)))
            // The signature covers the exact bytes: a changed body would not verify.
            #expect(
                signature
                    != (try expectedSignature(secret: secret, id: id, timestamp: unix, body: request.body + [0x20])))
            #expect(requests[1].header("webhook-signature") == nil, "no secret, no signature")
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
    }
}

/// A configuration with one account (never polled by `test-notify`) and `webhooks` on a receiver.
private struct TestNotifySetup {
    let receiver: WebhookReceiver
    let configPath: String

    /// `ssowatch test-notify --config PATH arguments…`.
    func run(_ arguments: [String]) async throws -> CommandResult {
        try await runSSOWatch(["test-notify", "--config", configPath] + arguments, timeout: .seconds(60))
    }
}

private func withTestNotifySetup<T>(
    webhooks: [TestWebhook], _ body: (TestNotifySetup) async throws -> T
) async throws -> T {
    try await withReceiver { receiver in
        try await withTemporaryDirectory(prefix: "ssowatch-tn") { directory in
            let account = TestAccount.prod
            let config = ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                .account(account.name, id: account.id, token: account.token)
            let path = try config.webhooks(webhooks, on: [receiver]).write(to: directory)
            return try await body(TestNotifySetup(receiver: receiver, configPath: path))
        }
    }
}
