import Crypto
import Foundation
import SSOWatchConfig
import SSOWatchModel

/// `generic` webhooks: one JSON request per event (docs/NOTIFICATIONS.md), with Standard Webhooks headers:
/// `webhook-id` (the event id, the same on every retry), `webhook-timestamp` (this attempt) and,
/// with a secret, `webhook-signature` over the exact body. Every `connector.*` key is present,
/// `null` where unknown.
struct GenericRenderer: MessageRenderer {
    func render(_ message: OutgoingMessage, context: RenderContext) -> [RenderedRequest] {
        switch message {
        case .events(let events):
            return events.map { request(id: $0.id, body: Self.body(for: $0), eventIDs: [$0.id], context: context) }
        case .test(let webhook, let text, let at):
            let body = JSONValue.obj([
                "type": .string("test"),
                "timestamp": .string(NotifyTime.iso8601(at)),
                "data": .obj(["webhook": .string(webhook), "message": .string(text)]),
            ])
            return [
                request(
                    id: Self.testID(webhook: webhook, message: text, at: at), body: body, eventIDs: [],
                    context: context)
            ]
        }
    }

    /// The body of one event.
    static func body(for event: ConnectorEvent) -> JSONValue {
        let record: JSONValue =
            if let code = event.verificationCode, let domain = event.emailDomain {
                .obj(["type": .string("TXT"), "name": .string(domain), "value": .string(code)])
            } else {
                .null
            }
        return .obj([
            "type": .string(event.kind.typeName),
            "timestamp": .string(NotifyTime.iso8601(event.detectedAt)),
            "data": .obj([
                "account": .obj(["name": .string(event.accountName), "id": .string(event.accountID)]),
                "connector": .obj([
                    "id": .string(event.connectorID),
                    "email_domain": .optional(event.emailDomain),
                    "enabled": .optional(event.enabled),
                ]),
                "status": .string(event.status),
                "previous_status": .optional(event.previousStatus?.rawValue),
                "previous_status_since": .optional(event.previousStatusSince.map(NotifyTime.iso8601)),
                "verification_code": .optional(event.verificationCode),
                "dns_record": record,
                "dns": event.dns.map(\.json) ?? .null,
                "assist": event.assist.map(\.json) ?? .null,
            ]),
        ])
    }

    /// `test_` + 32 hex characters derived from the message, so a retried test keeps its id.
    static func testID(webhook: String, message: String, at: Date) -> String {
        let digest = SHA256.hash(data: Array("\(webhook)\n\(NotifyTime.unixSeconds(at))\n\(message)".utf8))
        return "test_"
            + digest.prefix(16).map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
    }

    private func request(id: String, body: JSONValue, eventIDs: [String], context: RenderContext) -> RenderedRequest {
        let bytes = body.bytes
        // The spec forbids `.` in ids (it separates the signed parts); event ids never have one.
        let webhookID = Escaping.headerValue(id).replacingOccurrences(of: ".", with: "_")
        let timestamp = NotifyTime.unixSeconds(context.now)
        var headers: [RenderedRequest.Header] = [
            .init(name: "Content-Type", value: "application/json"),
            .init(name: "User-Agent", value: SSOWatchVersion.userAgent),
            .init(name: "webhook-id", value: webhookID),
            .init(name: "webhook-timestamp", value: String(timestamp)),
        ]
        // An unusable secret is rejected when the configuration is loaded (`StandardWebhooks.validate`);
        // should one get here, the request goes unsigned and the receiver's 4xx reports it.
        if let secret = context.secret,
            let signature = try? StandardWebhooks.signature(
                secret: secret.value, id: webhookID, timestamp: timestamp, body: bytes)
        {
            headers.append(.init(name: "webhook-signature", value: signature))
        }
        return RenderedRequest(headers: headers, body: bytes, eventIDs: eventIDs)
    }
}

extension AutoBeginReport {
    /// A `verification_started` body's `data.assist` (docs/NOTIFICATIONS.md).
    package var json: JSONValue {
        .obj([
            "mode": .string(mode.rawValue),
            "outcome": .string(outcome.rawValue),
            "http_status": httpStatus.map(JSONValue.int) ?? .null,
            "cloudflare_error": .optional(cloudflareError),
            "read_back_status": .optional(readBackStatus),
        ])
    }
}

extension DNSRecordCheck {
    /// The check as JSON: a generic body's `data.dns`, `status --json` and `dns-check --json`
    /// (docs/NOTIFICATIONS.md).
    package var json: JSONValue {
        .obj([
            "result": .string(result.rawValue),
            "detail": .string(detail),
            "nameservers": .array(nameservers.map(JSONValue.string)),
            "agreeing": .int(agreeing),
            "checked": .string(NotifyTime.iso8601(checked)),
        ])
    }
}
