import Crypto
import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The `generic` body of docs/NOTIFICATIONS.md and Standard Webhooks signing.
@Suite struct GenericWebhookTests {
    @Test func signatureReproducesTheStandardWebhooksTestVector() throws {
        let signature = try StandardWebhooks.signature(
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func secretsWithoutPaddingOrPrefixDecodeToTheSameKey() throws {
        let key = try StandardWebhooks.key(fromSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(key.count == 24)
        #expect(try StandardWebhooks.key(fromSecret: "whsec_YWJjZA") == Array("abcd".utf8))
        #expect(try StandardWebhooks.key(fromSecret: "whsec_YWJjZA==") == Array("abcd".utf8))
        #expect(try StandardWebhooks.key(fromSecret: "YWJjZA") == Array("abcd".utf8))
    }

    @Test(arguments: ["whsec_", "whsec_!!!!", "whsec_abcde", "whsec_a"])
    func unusableSecretsAreRejectedWithoutShowingThem(secret: String) {
        #expect(throws: StandardWebhooks.SecretError.self) { try StandardWebhooks.validate(secret: secret) }
        do {
            try StandardWebhooks.validate(secret: secret)
        } catch {
            #expect(secret == "whsec_" || !error.description.contains(secret))
        }
    }

    @Test func eventRequestIsSignedOverTheExactBodyWithTheEventIDAndAttemptTime() throws {
        let event = NotifyFixtures.event(.verified)
        let request = try #require(
            NotifyFixtures.render(.generic, .events([event]), secret: NotifyFixtures.secret).first)
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("webhook-id") == event.id)
        #expect(request.header("webhook-timestamp") == "1795946442")
        // Verified the way a receiver does it, independently of StandardWebhooks.
        let key = SymmetricKey(data: Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!)
        let signed = Array("\(event.id).1795946442.".utf8) + request.body
        let expected = Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
        #expect(request.header("webhook-signature") == "v1,\(expected)")

        // A retry an hour later keeps the id and body, with a new timestamp and signature.
        let later = RenderContext(
            webhookName: "ops", now: NotifyFixtures.attempt.addingTimeInterval(3600),
            secret: Secret(NotifyFixtures.secret, source: "test"))
        let retry = try #require(GenericRenderer().render(.events([event]), context: later).first)
        #expect(retry.header("webhook-id") == event.id && retry.body == request.body)
        #expect(retry.header("webhook-timestamp") == "1795950042")
        #expect(retry.header("webhook-signature") != request.header("webhook-signature"))
    }

    @Test func withoutSecretThereIsNoSignature() throws {
        let request = try #require(NotifyFixtures.render(.generic, .events([NotifyFixtures.event(.failed)])).first)
        #expect(request.header("webhook-signature") == nil)
        #expect(request.header("webhook-id") != nil && request.header("webhook-timestamp") != nil)
    }

    @Test func aDNSEventCarriesTheLatestCheck() throws {
        let request = try #require(NotifyFixtures.render(.generic, .events([NotifyFixtures.event(.dnsMissing)])).first)
        let body = try NotifyFixtures.json(request)
        #expect(body["type"] as? String == "connector.dns_missing")
        let data = try #require(body["data"] as? [String: Any])
        #expect(data["previous_status"] is NSNull)
        let dns = try #require(data["dns"] as? [String: Any])
        #expect(dns["result"] as? String == "missing")
        #expect(dns["nameservers"] as? [String] == ["ns1.example.net", "ns2.example.net"])
        #expect(dns["agreeing"] as? Int == 0)
        #expect(dns["checked"] as? String == "2026-11-29T09:58:00Z")
        #expect((dns["detail"] as? String)?.contains("publish TXT example.com") == true)
    }

    @Test func bodyHasEveryKeyOfTheSpec() throws {
        let body = String(
            decoding: NotifyFixtures.render(.generic, .events([NotifyFixtures.event(.verified)]))[0].body,
            as: UTF8.self)
        #expect(
            body == #"""
                {"type":"connector.verified","timestamp":"2026-11-29T10:00:00Z","data":{"account":{"name":"prod",\#
                "id":"023e105f4ecef8ad9ca31a8372d0c353"},"connector":{"id":"7d1f5b0c2a9e4f3d8c6b1a0e9d8c0000",\#
                "email_domain":"example.com","enabled":false},"status":"verified","previous_status":"pending",\#
                "previous_status_since":"2026-11-28T07:48:00Z","verification_code":\#
                "cloudflare_dashboard_sso=7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a","dns_record":{"type":"TXT",\#
                "name":"example.com","value":"cloudflare_dashboard_sso=7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a"},"dns":null,\#
                "assist":null}}
                """#)
    }

    @Test func unknownValuesAreNull() throws {
        var event = NotifyFixtures.event(.appeared, domain: nil, code: nil)
        event.enabled = nil
        let json = try NotifyFixtures.json(NotifyFixtures.render(.generic, .events([event]))[0])
        #expect(json["type"] as? String == "connector.appeared")
        let data = try #require(json["data"] as? [String: Any])
        for key in ["previous_status", "previous_status_since", "verification_code", "dns_record"] {
            #expect(data[key] is NSNull, "\(key)")
        }
        let connector = try #require(data["connector"] as? [String: Any])
        #expect(connector["email_domain"] is NSNull && connector["enabled"] is NSNull)
        #expect(data["status"] as? String == "pending")
    }

    @Test func everyKindHasItsType() throws {
        for kind in EventKind.allCases {
            let json = try NotifyFixtures.json(
                NotifyFixtures.render(.generic, .events([NotifyFixtures.event(kind)]))[0])
            #expect(json["type"] as? String == "connector.\(kind.rawValue)")
        }
    }

    @Test func testMessageHasItsOwnStableIDWithoutDots() throws {
        let message = NotifyFixtures.message("test")
        let request = try #require(NotifyFixtures.render(.generic, message).first)
        let id = try #require(request.header("webhook-id"))
        #expect(id.wholeMatch(of: /test_[0-9a-f]{32}/) != nil)
        #expect(NotifyFixtures.render(.generic, message).first?.header("webhook-id") == id)
        let other = NotifyFixtures.render(.generic, .test(webhook: "other", message: "x", at: NotifyFixtures.detected))
        #expect(other.first?.header("webhook-id") != id)
        let json = try NotifyFixtures.json(request)
        #expect(json["type"] as? String == "test" && json["timestamp"] as? String == "2026-11-29T10:00:00Z")
        #expect((json["data"] as? [String: Any])?["webhook"] as? String == "ops")
    }
}
