import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// The daemon against a local receiver that answers the way each chat service does: what arrives
/// (the service's native payload), and how each service's answers are handled (2xx, the forms of
/// 429, 5xx), docs/NOTIFICATIONS.md.
@Suite struct WebhookServiceTests {
    // MARK: - Native payloads

    /// One service: how its webhook URL looks, how it answers a delivery, and what its payload must hold.
    struct ServiceCase: Sendable, CustomTestStringConvertible {
        var label: String
        var type: String
        var query: String? = nil
        var response: WebhookReceiver.Response
        /// Checks the request for a `pending → verified` event of `domain` (connector `connector`).
        var check: @Sendable (_ request: RecordedRequest, _ domain: String, _ connector: String) -> Void

        var testDescription: String { label }

        static let all: [ServiceCase] = [
            ServiceCase(label: "slack 200 ok", type: "slack", response: .ok) { request, domain, _ in
                #expect(request.header("Content-Type") == "application/json")
                #expect(request.string("text")?.contains(domain) == true, "the text fallback names the domain")
                #expect(request.string("blocks.0.type") == "header")
                #expect(request.string("blocks.0.text.text")?.contains("verified") == true)
                #expect(request.bodyString.contains("pending"), "the previous status is shown")
            },
            ServiceCase(label: "discord 204", type: "discord", response: .noContent) { request, domain, connector in
                checkDiscord(request, domain: domain, connector: connector)
            },
            ServiceCase(
                label: "discord 200 with ?wait=true", type: "discord", query: "wait=true",
                response: .init(
                    status: 200, headers: [("Content-Type", "application/json")],
                    body: #"{"id":"1311111111111111111","type":0,"channel_id":"1300000000000000000","embeds":[]}"#)
            ) { request, domain, connector in
                checkDiscord(request, domain: domain, connector: connector)
            },
            ServiceCase(label: "teams 202 empty", type: "teams", response: .accepted) { request, domain, _ in
                #expect(request.header("Content-Type") == "application/json")
                #expect(request.string("type") == "message")
                #expect(request.string("attachments.0.contentType") == "application/vnd.microsoft.card.adaptive")
                #expect(request.string("attachments.0.content.type") == "AdaptiveCard")
                #expect(request.string("attachments.0.content.version") == "1.5")
                #expect(request.string("attachments.0.content.body.0.text")?.contains(domain) == true)
            },
            ServiceCase(
                label: "google-chat 200 with the message", type: "google-chat",
                response: .init(
                    status: 200, headers: [("Content-Type", "application/json; charset=UTF-8")],
                    body:
                        #"{"name":"spaces/AAAAssowatch/messages/x1.x1","text":"…","createTime":"2026-11-29T10:00:00.000Z"}"#
                )
            ) { request, domain, _ in
                #expect(request.header("Content-Type") == "application/json")
                #expect(request.string("text")?.contains(domain) == true)
                #expect(request.string("cardsV2.0.card.header.title")?.contains(domain) == true)
                #expect(request.string("cardsV2.0.cardId")?.isEmpty == false)
            },
            ServiceCase(label: "mattermost 200 ok", type: "mattermost", response: .ok) { request, domain, _ in
                #expect(request.header("Content-Type") == "application/json")
                #expect(request.string("text")?.contains(domain) == true)
                #expect(request.string("attachments.0.title")?.contains(domain) == true)
                #expect((request.json("attachments.0.fields") as? [Any])?.isEmpty == false)
            },
            ServiceCase(
                label: "rocketchat 200 success", type: "rocketchat",
                response: .init(
                    status: 200, headers: [("Content-Type", "application/json")], body: #"{"success":true}"#)
            ) { request, domain, _ in
                #expect(request.header("Content-Type") == "application/json")
                #expect(request.string("text")?.contains(domain) == true)
                #expect(request.string("attachments.0.title")?.contains(domain) == true)
            },
            ServiceCase(
                label: "ntfy 200 with the message", type: "ntfy",
                response: .init(
                    status: 200, headers: [("Content-Type", "application/json")],
                    body: #"{"id":"sPs71M8A2T","time":1795946400,"event":"message","topic":"ssowatch"}"#)
            ) { request, domain, connector in
                #expect(request.header("Content-Type")?.hasPrefix("text/plain") == true)
                #expect(request.header("Title")?.contains(domain) == true)
                #expect(request.header("Tags") == "white_check_mark")
                #expect(request.header("Priority") == "default")
                #expect(request.jsonObject == nil, "ntfy gets the message as the body, not the JSON form")
                #expect(request.bodyString.contains(domain))
                #expect(request.bodyString.contains(connector))
            },
            ServiceCase(
                label: "generic 202", type: "generic",
                response: .init(status: 202, headers: [("Content-Type", "application/json")], body: "{}")
            ) { request, domain, connector in
                #expect(request.header("Content-Type") == "application/json")
                let id = request.header("webhook-id") ?? ""
                #expect(id.hasPrefix("evt_") && !id.contains("."), "webhook-id \(id)")
                let timestamp = request.header("webhook-timestamp").flatMap(Int.init) ?? 0
                #expect(abs(Double(timestamp) - Date().timeIntervalSince1970) < 120, "webhook-timestamp \(timestamp)")
                #expect(request.header("webhook-signature") == nil, "no secret, no signature")
                #expect(request.string("type") == "connector.verified")
                #expect(request.string("data.status") == "verified")
                #expect(request.string("data.previous_status") == "pending")
                #expect(request.string("data.account.name") == "prod")
                #expect(request.string("data.account.id") == TestAccount.prod.id)
                #expect(request.string("data.connector.id") == connector)
                #expect(request.string("data.connector.email_domain") == domain)
                #expect(request.string("data.dns_record.type") == "TXT")
                #expect(request.string("data.dns_record.value") == "cloudflare_dashboard_sso=\(connector)")
            },
        ]

        private static func checkDiscord(_ request: RecordedRequest, domain: String, connector: String) {
            #expect(request.header("Content-Type") == "application/json")
            #expect((request.json("allowed_mentions.parse") as? [Any])?.isEmpty == true)
            #expect(request.string("embeds.0.title")?.contains(domain) == true)
            #expect(request.bodyString.contains(connector))
            #expect(request.json("embeds.0.color") is NSNumber)
        }
    }

    @Test(arguments: ServiceCase.all)
    func oneEventArrivesOnceInTheServicesNativeFormat(_ service: ServiceCase) async throws {
        let webhook = TestWebhook.make("ops", type: service.type, query: service.query)
        try await withWatchingDaemon(webhooks: [webhook]) { rig, daemon in
            rig.receiver.setDefaultResponse(service.response)
            rig.flip(0, to: "verified")
            try await rig.waitForDeliveries(count: 1)
            try await daemon.waitForOutput(containing: "notification delivered", in: .stderr)
            // More poll cycles: a delivered event is never sent again.
            try await rig.waitForMorePolls(count: 2)
            let requests = rig.receiver.received
            try #require(requests.count == 1, "\(requests.map(\.bodyString))")
            let request = requests[0]
            #expect(request.method == "POST")
            #expect(request.path == webhook.path)
            #expect(request.query == webhook.query)
            #expect(request.header("User-Agent") == "ssowatch/\(SSOWatchVersion.string)")
            #expect(request.responseStatus == service.response.status)
            service.check(request, rig.domains[0], rig.connectorIDs[0])

            let status = try await rig.status()
            let ops = try status.webhook("ops")
            #expect(ops.type == service.type)
            #expect(ops.host == "127.0.0.1")
            #expect(ops.queued == 0)
            #expect(!ops.failing)
            #expect(ops.lastError == nil)
            #expect(status.outbox == 0)
            #expect(webhook.leakingLines(in: daemon.stderr).isEmpty)
        }
    }

    // MARK: - 429

    /// One form of "too many requests", and how long it asks the sender to wait.
    struct RateLimitCase: Sendable, CustomTestStringConvertible {
        var label: String
        var type: String
        /// The 429 answer, made just before the event is triggered (dates are absolute).
        var make: @Sendable (_ now: Date) -> (response: WebhookReceiver.Response, notBefore: Date?)
        /// The least time between the 429 and the next attempt (0: `notBefore` is checked instead). Where
        /// the service says how long, it asks for more than the 5 s used when a 429 says nothing, so only
        /// honouring its value passes; ntfy and Google Chat check that 5 s floor.
        var minimumWait: Double

        var testDescription: String { label }

        static let all: [RateLimitCase] = [
            RateLimitCase(
                label: "Retry-After seconds (slack)", type: "slack",
                make: { _ in
                    (.tooManyRequests(retryAfter: 7), nil)
                }, minimumWait: 6.9),
            RateLimitCase(
                label: "Retry-After HTTP-date (mattermost)", type: "mattermost",
                make: { now in
                    let date = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + 10).rounded(.down))
                    return (
                        .init(status: 429, headers: [("Retry-After", httpDate(date))], body: "rate limited"), date
                    )
                }, minimumWait: 0),
            RateLimitCase(
                label: "Discord JSON retry_after float", type: "discord",
                make: { _ in
                    (.tooManyRequests(retryAfter: nil, discordRetryAfter: 6.6), nil)
                }, minimumWait: 6.5),
            RateLimitCase(
                label: "Rocket.Chat X-RateLimit-Reset epoch ms", type: "rocketchat",
                make: { now in
                    let reset = now.addingTimeInterval(9.5)
                    let millis = Int((reset.timeIntervalSince1970 * 1000).rounded())
                    return (
                        .init(
                            status: 429,
                            headers: [
                                ("Content-Type", "application/json"), ("X-RateLimit-Limit", "10"),
                                ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", String(millis)),
                            ],
                            body: #"{"success":false,"error":"Error, too many requests. Please slow down."}"#),
                        reset
                    )
                }, minimumWait: 0),
            RateLimitCase(
                label: "ntfy 429 without Retry-After", type: "ntfy",
                make: { _ in
                    (
                        .init(
                            status: 429, headers: [("Content-Type", "application/json")],
                            body: #"{"code":42901,"http":429,"error":"limit reached: too many requests"}"#), nil
                    )
                }, minimumWait: 4.95),
            RateLimitCase(
                label: "Google Chat 429 without Retry-After", type: "google-chat",
                make: { _ in
                    (
                        .init(
                            status: 429, headers: [("Content-Type", "application/json")],
                            body:
                                #"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#
                        ), nil
                    )
                }, minimumWait: 4.95),
        ]
    }

    @Test(arguments: RateLimitCase.all)
    func aRateLimitedDeliveryWaitsAsTheServiceAsks(_ limit: RateLimitCase) async throws {
        let webhook = TestWebhook.make("ops", type: limit.type)
        try await withWatchingDaemon(webhooks: [webhook]) { rig, daemon in
            let (response, notBefore) = limit.make(Date())
            rig.receiver.enqueue(response)
            rig.receiver.setDefaultResponse(
                WebhookReceiver.Response(status: 200, headers: [("Content-Type", "application/json")], body: "{}"))
            rig.flip(0, to: "verified")
            try await rig.waitForDeliveries(count: 2, timeout: .seconds(40))
            try await daemon.waitForOutput(containing: "notification delivered", in: .stderr)
            let requests = rig.receiver.received
            try #require(requests.count == 2)
            #expect(requests[0].responseStatus == 429)
            #expect(requests[1].responseStatus == 200)
            #expect(requests[1].body == requests[0].body, "the same message is sent again")
            let wait = secondsBetween(requests[0], requests[1])
            #expect(wait >= limit.minimumWait, "retried \(wait) s after the 429")
            if let notBefore {
                // The date is absolute: the retry may not come before it (a little clock slack allowed).
                #expect(requests[1].receivedAt >= notBefore.addingTimeInterval(-0.2), "retried \(wait) s after")
                #expect(
                    notBefore.timeIntervalSince(requests[0].receivedAt) > 5.5,
                    "the test needs a wait longer than the 5 s default to tell them apart")
            }
            #expect(wait < max(limit.minimumWait, 10) + 10, "retried \(wait) s after the 429")

            let log = daemon.stderr
            #expect(log.contains("warning: webhook asked to slow down: HTTP 429"), "\(log)")
            let ops = try await rig.status().webhook("ops")
            #expect(!ops.failing && ops.queued == 0 && ops.lastError == nil)
            #expect(webhook.leakingLines(in: log).isEmpty)
        }
    }

    // MARK: - 5xx

    @Test(arguments: ["generic", "slack"])
    func serverErrorsAreRetriedWithBackoffUntilTheyStop(_ type: String) async throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let webhook = TestWebhook.make("ops", type: type, settings: type == "generic" ? [("secret", secret)] : [])
        try await withWatchingDaemon(webhooks: [webhook]) { rig, daemon in
            rig.receiver.enqueue(status: 503, headers: [("Content-Type", "text/plain")], body: "upstream down")
            rig.receiver.enqueue(status: 500, headers: [("Content-Type", "text/plain")], body: "rollup_error")
            rig.flip(0, to: "verified")
            try await rig.waitForDeliveries(count: 3, timeout: .seconds(30))
            try await daemon.waitForOutput(containing: "notification delivered", in: .stderr)
            let requests = rig.receiver.received
            try #require(requests.count == 3)
            #expect(requests.map(\.responseStatus) == [503, 500, 200])
            #expect(Set(requests.map(\.bodyString)).count == 1, "every attempt sends the same body")
            // 1 s then 2 s (each ±20 %): the wait doubles.
            let first = secondsBetween(requests[0], requests[1])
            let second = secondsBetween(requests[1], requests[2])
            #expect(first >= 0.75 && first < 5, "first retry after \(first) s")
            #expect(second >= 1.55 && second < 8, "second retry after \(second) s")
            #expect(second > first, "backoff doubles: \(first) s, then \(second) s")

            if type == "generic" {
                let ids = Set(requests.map { $0.header("webhook-id") ?? "" })
                #expect(ids.count == 1 && ids.first?.hasPrefix("evt_") == true, "webhook-id on every attempt: \(ids)")
                for request in requests {
                    let id = request.header("webhook-id") ?? ""
                    let timestamp = try #require(request.header("webhook-timestamp").flatMap(Int.init))
                    let expected = try expectedSignature(
                        secret: secret, id: id, timestamp: timestamp, body: request.body)
                    #expect(request.header("webhook-signature") == expected, "each attempt is signed anew")
                }
            }
            let log = daemon.stderr
            #expect(log.contains("warning: delivery failed, will retry: HTTP 503: upstream down"), "\(log)")
            #expect(log.contains("warning: delivery failed, will retry: HTTP 500: rollup_error"), "\(log)")
            try await rig.waitForStatus(containing: "1 webhook failing (ops: HTTP 503: upstream down)")
            let ops = try await rig.status().webhook("ops")
            #expect(!ops.failing && ops.queued == 0 && ops.lastError == nil, "no longer failing after a success")
        }
    }

    // MARK: - Batching

    @Test func moreThanThreeChangesInOneCycleAreOneChatMessageButOneGenericRequestEach() async throws {
        let domains = (1...5).map { "host\($0).batch.example" }
        let chat = TestWebhook.make("chat", type: "slack", receiver: 0)
        let hook = TestWebhook.make("hook", type: "generic", receiver: 1)
        try await withWatchingDaemon(domains: domains, webhooks: [chat, hook], receivers: 2) { rig, daemon in
            rig.flipTogether([(0, "verified"), (1, "failed"), (2, "verified"), (3, "verified"), (4, "failed")])
            try await rig.waitForDeliveries(count: 1, receiver: 0)
            try await rig.waitForDeliveries(count: 5, receiver: 1)
            try await rig.waitForMorePolls(count: 2)

            let chatRequests = rig.receivers[0].received
            try #require(chatRequests.count == 1, "one Slack message for the whole cycle")
            let message = chatRequests[0]
            let summary = try #require(message.string("text"))
            #expect(summary.contains("5 SSO domain changes in account prod"), "\(summary)")
            #expect(summary.contains("3 verified") && summary.contains("2 failed"), "\(summary)")
            let blocks = try #require(message.json("blocks") as? [[String: Any]])
            let blockText = String(decoding: try JSONSerialization.data(withJSONObject: blocks), as: UTF8.self)
            for domain in domains {
                #expect(blockText.components(separatedBy: domain).count == 2, "\(domain) has one line")
            }

            let genericRequests = rig.receivers[1].received
            #expect(genericRequests.count == 5)
            #expect(Set(genericRequests.compactMap { $0.header("webhook-id") }).count == 5)
            let delivered = Dictionary(
                genericRequests.map { ($0.string("data.connector.email_domain") ?? "?", $0.string("type") ?? "?") },
                uniquingKeysWith: { first, _ in first })
            #expect(
                delivered == [
                    domains[0]: "connector.verified", domains[1]: "connector.failed",
                    domains[2]: "connector.verified", domains[3]: "connector.verified",
                    domains[4]: "connector.failed",
                ])
            #expect(try await rig.status().outbox == 0)
        }
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as `Retry-After` carries it.
private func httpDate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: date)
}
