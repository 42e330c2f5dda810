import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// Events with fixed ids and dates, so rendered payloads are byte-for-byte reproducible.
enum NotifyFixtures {
    /// 2026-11-29T10:00:00Z.
    static let detected = Date(timeIntervalSince1970: 1_795_946_400)
    /// The delivery attempt: 42 s after detection.
    static let attempt = detected.addingTimeInterval(42)
    static let accountID = "023e105f4ecef8ad9ca31a8372d0c353"
    static let connectorID = "7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a"
    static let code = "cloudflare_dashboard_sso=7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a"
    /// The Standard Webhooks test-vector secret.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The event kinds and the test message, as golden files name them; `hostile` is a failed event and
    /// `hostile-batch` four events whose every user-controlled value is `hostileText`.
    static let goldenCases = [
        "verified", "failed", "pending", "awaiting", "appeared", "removed", "stuck", "dns_missing", "dns_found",
        "dns_near_miss", "failed-dns", "test", "batch", "hostile", "hostile-batch", "verification_started",
        "verification_started-refused", "verification_started-error", "verification_started-dry_run",
        "verification_started-hostile", "dns_found-auto_begin",
    ]

    /// A DNS check of the fixture connector's record with `result`, on two nameservers.
    static func dnsCheck(_ result: DNSRecordCheck.Result) -> DNSRecordCheck {
        let detail: String =
            switch result {
            case .present: "present on ns1.example.net, ns2.example.net"
            case .nearMiss:
                "not found; ns1.example.net, ns2.example.net have \"cloudflared_dashboard_sso=7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a\" "
                    + "(a cloudflared_ prefix); publish TXT example.com \"\(code)\""
            default: "not found on ns1.example.net, ns2.example.net; publish TXT example.com \"\(code)\""
            }
        return DNSRecordCheck(
            result: result, detail: detail, nameservers: ["ns1.example.net", "ns2.example.net"],
            agreeing: result == .present ? 2 : 0, checked: detected.addingTimeInterval(-120))
    }

    /// Mentions, links and markup of every chat service, and a CRLF that would start a new line or header.
    static let hostileText =
        "<users/all> <!channel> <!here> <@U024BE7LH> @here @everyone @channel @all [click](https://evil.example) "
        + "<https://evil.example|click> *bold* _it_ ~s~ `code` <b>x</b> |p| # h > q\r\nX-Injected: 1"

    /// An event of `kind` whose domain, account name, status, connector id and verification code are all
    /// hostile (only ssowatch's own event id is not).
    static func hostileEvent(_ kind: EventKind, index: Int = 0) -> ConnectorEvent {
        var event = event(
            kind, domain: "> " + hostileText, account: "prod " + hostileText, index: index,
            code: "cloudflare_dashboard_sso=" + hostileText)
        event.status = "- " + hostileText
        event.connectorID = "# " + hostileText + " \(index)"
        return event
    }

    /// One event of a kind, with the values a real transition of that kind carries.
    static func event(
        _ kind: EventKind, domain: String? = "example.com", account: String = "prod", index: Int = 0,
        code: String? = NotifyFixtures.code
    ) -> ConnectorEvent {
        let since: (VerificationStatus?, TimeInterval?) =
            switch kind {
            case .verified: (.pending, 26 * 3600 + 12 * 60)  // 1d 2h 12m
            case .failed: (.pending, 2 * 86_400 + 30 * 60)  // 2d 30m
            case .pending: (.awaiting, 600)  // 10m
            case .stuck: (nil, 2 * 86_400 + 3 * 3600 + 15 * 60)  // pending since 2d 3h 15m
            case .awaiting, .appeared, .removed, .dnsMissing, .dnsFound, .verificationStarted: (nil, nil)
            }
        let status: String =
            switch kind {
            case .appeared, .stuck, .dnsMissing: "pending"
            case .removed: "verified"
            case .dnsFound: "awaiting"
            case .verificationStarted: "failed"
            default: kind.rawValue
            }
        return ConnectorEvent(
            id: String(format: "evt_%032lx", 0xA000 + index), kind: kind, detectedAt: detected,
            accountName: account, accountID: accountID,
            connectorID: String(connectorID.dropLast(4)) + String(format: "%04lx", index),
            emailDomain: domain, enabled: kind == .verified ? false : nil, status: status,
            previousStatus: since.0, previousStatusSince: since.1.map { detected.addingTimeInterval(-$0) },
            verificationCode: code,
            dns: kind == .dnsMissing
                ? dnsCheck(.missing) : kind == .dnsFound || kind == .verificationStarted ? dnsCheck(.present) : nil,
            assist: kind == .verificationStarted
                ? AutoBeginReport(mode: .on, outcome: .called, httpStatus: 200, readBackStatus: "pending") : nil)
    }

    /// A `verification_started` event whose `assist` is `report`.
    static func assistEvent(_ report: AutoBeginReport) -> ConnectorEvent {
        var event = event(.verificationStarted)
        event.assist = report
        return event
    }

    /// The message of a golden case: one event, the test message, or a batch of 12 (8 verified, 4 failed).
    static func message(_ name: String) -> OutgoingMessage {
        switch name {
        case "test":
            return .test(
                webhook: "ops", message: "If you can read this, ssowatch can reach this webhook.", at: detected)
        case "batch":
            return .events(batch(count: 12, failedEvery: 3))
        case "hostile":
            return .events([hostileEvent(.failed)])
        case "dns_near_miss":
            var event = event(.dnsMissing)
            event.dns = dnsCheck(.nearMiss)
            return .events([event])
        case "failed-dns":
            var event = event(.failed)
            event.dns = dnsCheck(.missing)
            return .events([event])
        case "verification_started-refused":
            return .events([
                assistEvent(
                    AutoBeginReport(
                        mode: .on, outcome: .refused, httpStatus: 403, cloudflareError: "10000 Authentication error"))
            ])
        case "verification_started-error":
            return .events([
                assistEvent(
                    AutoBeginReport(
                        mode: .on, outcome: .error, httpStatus: 502,
                        cloudflareError: "HTTP 502: body is not JSON (text/html, 166 bytes)"))
            ])
        case "dns_found-auto_begin":
            var event = event(.dnsFound)
            event.autoBegin = .on
            return .events([event])
        case "verification_started-dry_run":
            return .events([assistEvent(AutoBeginReport(mode: .dryRun, outcome: .wouldCall))])
        case "verification_started-hostile":
            var event = hostileEvent(.verificationStarted)
            event.assist = AutoBeginReport(
                mode: .on, outcome: .refused, httpStatus: 403, cloudflareError: hostileText, readBackStatus: hostileText
            )
            return .events([event])
        case "hostile-batch":
            return .events([.failed, .verified, .stuck, .appeared].enumerated().map { hostileEvent($1, index: $0) })
        default:
            return .events([event(EventKind(rawValue: name)!)])
        }
    }

    /// `count` events in account `prod`, every `failedEvery`-th one failed, the rest verified.
    static func batch(count: Int, failedEvery: Int, domain: (Int) -> String = { "team\($0 + 1).example.com" })
        -> [ConnectorEvent]
    {
        (0..<count).map { i in
            event(i % failedEvery == failedEvery - 1 ? .failed : .verified, domain: domain(i), index: i + 1)
        }
    }

    /// The context of an attempt to deliver to a webhook named `ops`.
    static func context(secret: String? = nil) -> RenderContext {
        RenderContext(webhookName: "ops", now: attempt, secret: secret.map { Secret($0, source: "test") })
    }

    /// Renders a message for a webhook type.
    static func render(_ type: WebhookType, _ message: OutgoingMessage, secret: String? = nil) -> [RenderedRequest] {
        Renderers.renderer(for: type).render(message, context: context(secret: secret))
    }

    /// The body parsed as a JSON object.
    static func json(_ request: RenderedRequest, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [String: Any]
    {
        let object = try JSONSerialization.jsonObject(with: Data(request.body))
        return try #require(object as? [String: Any], "body is not a JSON object", sourceLocation: sourceLocation)
    }

    /// Every string value in a parsed JSON document (keys not included).
    static func strings(in value: Any) -> [String] {
        switch value {
        case let s as String: [s]
        case let array as [Any]: array.flatMap(strings(in:))
        case let object as [String: Any]: object.values.flatMap(strings(in:))
        default: []
        }
    }

    /// The length of a string as services count "characters".
    static func utf16(_ value: Any?) -> Int { ((value as? String) ?? "").utf16.count }
}
