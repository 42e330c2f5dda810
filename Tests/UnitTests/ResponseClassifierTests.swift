import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// Each service's real success, rate-limit and error responses (reference/webhooks.md).
@Suite struct ResponseClassifierTests {
    static let now = NotifyFixtures.detected

    static func classify(
        _ type: WebhookType, _ status: Int, _ body: String = "", headers: [(String, String)] = []
    ) -> DeliveryOutcome {
        ResponseClassifier.classify(type: type, status: status, headers: headers, body: Array(body.utf8), now: now)
    }

    @Test func successResponsesOfEachService() {
        #expect(Self.classify(.slack, 200, "ok") == .delivered)
        #expect(Self.classify(.discord, 204) == .delivered)
        #expect(Self.classify(.discord, 200, #"{"id":"1","content":""}"#) == .delivered)
        #expect(Self.classify(.teams, 202) == .delivered)
        #expect(Self.classify(.googleChat, 200, #"{"name":"spaces/A/messages/B"}"#) == .delivered)
        #expect(Self.classify(.mattermost, 200, "ok") == .delivered)
        #expect(Self.classify(.rocketchat, 200, #"{"success":true}"#) == .delivered)
        #expect(Self.classify(.ntfy, 200, #"{"id":"x","event":"message"}"#) == .delivered)
        #expect(Self.classify(.generic, 204) == .delivered)
    }

    @Test func permanentErrorsCarryTheServicesReason() {
        let cases: [(WebhookType, Int, String, String)] = [
            (.slack, 404, "channel_not_found", "HTTP 404: channel_not_found"),
            (.slack, 410, "channel_is_archived", "HTTP 410: channel_is_archived"),
            (.slack, 400, "invalid_payload\n", "HTTP 400: invalid_payload"),
            (
                .discord, 404, #"{"message": "Unknown Webhook", "code": 10015}"#,
                "HTTP 404: Unknown Webhook (code 10015)"
            ),
            (
                .discord, 400, #"{"message":"Invalid Form Body","code":50035,"errors":{}}"#,
                "HTTP 400: Invalid Form Body (code 50035)"
            ),
            (
                .googleChat, 400,
                #"{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}"#,
                "HTTP 400: INVALID_ARGUMENT: Invalid JSON payload received."
            ),
            (
                .mattermost, 400,
                #"{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook.","status_code":400}"#,
                "HTTP 400: Invalid webhook. (web.incoming_webhook.invalid.app_error)"
            ),
            (
                .rocketchat, 400, #"{"success":false,"error":"Invalid integration id or token provided."}"#,
                "HTTP 400: Invalid integration id or token provided."
            ),
            (
                .ntfy, 403, #"{"code":40301,"http":403,"error":"forbidden","link":"https://ntfy.sh/docs"}"#,
                "HTTP 403: forbidden (code 40301)"
            ),
            (
                .teams, 400, #"{"error":{"code":"InvalidRequestContent","message":"The input body is not valid."}}"#,
                "HTTP 400: InvalidRequestContent: The input body is not valid."
            ),
            (.generic, 410, "endpoint disabled", "HTTP 410: endpoint disabled"),
            (.generic, 401, "", "HTTP 401: Unauthorized"),
        ]
        for (type, status, body, reason) in cases {
            #expect(Self.classify(type, status, body) == .permanent(reason: reason), "\(type) \(status)")
        }
    }

    @Test func genericReasonIsOneLineOfAtMost200CharactersWithoutURLs() throws {
        let body =
            "<html><body><h1>Forbidden</h1>\n\nThe URL https://hooks.example/services/T0/B0/XYZ and "
            + "/hooks/abc123 and ?key=1&token=2 are not allowed " + String(repeating: "x ", count: 300)
        guard case .permanent(let reason) = Self.classify(.generic, 403, body) else {
            Issue.record("not permanent")
            return
        }
        #expect(reason.hasPrefix("HTTP 403: Forbidden The URL [redacted] and [redacted] and [redacted] are not"))
        #expect(reason.count <= 200 && !reason.contains("\n"))
        #expect(!reason.contains("hooks.example") && !reason.contains("abc123") && !reason.contains("token"))
    }

    @Test func redirectsAreNotFollowed() {
        guard case .permanent(let reason) = Self.classify(.slack, 301, headers: [("Location", "https://x/y")]) else {
            Issue.record("not permanent")
            return
        }
        #expect(reason.contains("redirects are not followed") && !reason.contains("https://x"))
    }

    @Test func timeoutsAndServerErrorsAreTransient() {
        #expect(Self.classify(.slack, 500, "rollup_error") == .transient(reason: "HTTP 500: rollup_error"))
        #expect(
            Self.classify(.mattermost, 501, #"{"message":"Incoming webhooks have been disabled."}"#)
                == .transient(reason: "HTTP 501: Incoming webhooks have been disabled."))
        #expect(Self.classify(.generic, 408) == .transient(reason: "HTTP 408: Request Timeout"))
        #expect(
            Self.classify(.discord, 502, "<html><title>502 Bad Gateway</title></html>")
                == .transient(reason: "HTTP 502: 502 Bad Gateway"))
    }

    @Test func rateLimitsHonourEachServicesHint() {
        func delay(_ outcome: DeliveryOutcome) -> TimeInterval? {
            if case .retryAfter(let seconds, _) = outcome { return seconds }
            return nil
        }
        #expect(delay(Self.classify(.slack, 429, "rate_limited", headers: [("Retry-After", "30")])) == 30)
        #expect(
            delay(
                Self.classify(
                    .discord, 429, #"{"message":"You are being rate limited.","retry_after":2.5,"global":false}"#,
                    headers: [("retry-after", "3")])) == 2.5)
        // Rocket.Chat: epoch milliseconds, 12.5 s from now.
        let reset = String(Int((Self.now.timeIntervalSince1970 + 12.5) * 1000))
        #expect(
            delay(
                Self.classify(
                    .rocketchat, 429, #"{"success":false,"error":"Too many requests"}"#,
                    headers: [("X-RateLimit-Reset", reset)])) == 12.5)
        // An HTTP date 90 s from now, in each of the three formats.
        for date in ["Sun, 29 Nov 2026 10:01:30 GMT", "Sunday, 29-Nov-26 10:01:30 GMT", "Sun Nov 29 10:01:30 2026"] {
            #expect(delay(Self.classify(.generic, 429, headers: [("Retry-After", date)])) == 90, "\(date)")
        }
        // ntfy and Google Chat promise nothing: at least 5 s.
        #expect(delay(Self.classify(.ntfy, 429, #"{"code":42901,"http":429,"error":"limit reached"}"#)) == 5)
        #expect(delay(Self.classify(.googleChat, 429)) == 5)
        #expect(delay(Self.classify(.generic, 429, headers: [("Retry-After", "soon")])) == 5)
        // A date in the past or a zero wait cannot make a hot loop.
        #expect(delay(Self.classify(.generic, 429, headers: [("Retry-After", "0")])) == 1)
        #expect(
            Self.classify(.ntfy, 429, #"{"code":42901,"http":429,"error":"limit reached"}"#)
                == .retryAfter(5, reason: "HTTP 429: limit reached (code 42901)"))
    }

    @Test func httpDatesParseAndRejectGarbage() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HTTPDate.parse("tomorrow") == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 25:49:37 GMT") == nil)
    }
}
