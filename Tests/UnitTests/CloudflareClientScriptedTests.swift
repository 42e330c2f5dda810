import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// Answers only a scripted transport gives (no simulator produces them): envelopes, headers and
/// failures at the edges.
@Suite struct CloudflareClientScriptedTests {
    typealias F = ClientFixture

    private func fakeClient(_ transport: FakeTransport, token: String = "fake-token") -> CloudflareClient {
        CloudflareClient(
            baseURL: "https://api.example.test/client/v4/", token: Secret(token, source: "test"), transport: transport,
            timeout: 12)
    }

    private static let emptyList = #"{"success":true,"errors":[],"messages":[],"result":[]}"#

    @Test func requestsCarryTheTimeoutAndAFullURLWithoutQuery() async throws {
        let transport = FakeTransport(always: .json(200, Self.emptyList))
        _ = try await fakeClient(transport).listConnectors(accountID: F.account)
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://api.example.test/client/v4/accounts/\(F.account)/sso_connectors")
        #expect(request.timeout == 12)
        #expect(request.body == nil)
        #expect(request.header("Content-Type") == nil)
        #expect(request.header("Authorization") == "Bearer fake-token")
        #expect(request.header("User-Agent") == SSOWatchVersion.userAgent)
    }

    @Test func errorItemsThatAreStringsOrLackFieldsAreKept() async throws {
        let body =
            #"{"success":false,"errors":["plain text error",{"code":1.5},{"message":"no code"},7],"result":null}"#
        let transport = FakeTransport(always: .json(400, body))
        let error = try await #require(throws: CloudflareAPIError.self) {
            try await fakeClient(transport).listConnectors(accountID: F.account)
        }
        #expect(
            error.errors == [
                CloudflareMessage(code: nil, message: "plain text error"),
                CloudflareMessage(code: nil, message: "(no message)"),
                CloudflareMessage(code: nil, message: "no code"),
            ])
    }

    @Test(arguments: [
        #"{"success":"true","errors":[],"result":[]}"#, #"{"success":1,"result":[]}"#, #"{"result":[]}"#, "[]",
        "\"success\"", "null",
    ])
    func jsonWithoutABooleanSuccessIsNotAnEnvelope(body: String) async throws {
        let transport = FakeTransport(always: .json(200, body))
        let error = try await #require(throws: CloudflareAPIError.self) {
            try await fakeClient(transport).listConnectors(accountID: F.account)
        }
        #expect(error.kind == .undecodable("body is not a Cloudflare envelope"))
    }

    @Test func aServerErrorWithAnEnvelopeKeepsItsCodesAndIsTransient() async throws {
        let body = #"{"success":false,"errors":[{"code":10001,"message":"service unavailable"}],"result":null}"#
        let transport = FakeTransport(always: .json(503, body, headers: [(name: "retry-after", value: "120")]))
        let error = try await #require(throws: CloudflareAPIError.self) {
            try await fakeClient(transport).getConnector(accountID: F.account, connectorID: F.otherAccount)
        }
        #expect(error.httpStatus == 503)
        #expect(error.errors.map(\.code) == [10001])
        #expect(error.retryAfter == 120, "header names are case-insensitive")
        #expect(error.isTransient)
        #expect(!error.isRateLimited)
    }

    @Test func retryAfterMayBeAnHTTPDate() async throws {
        let date = Date().addingTimeInterval(90)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let failure = #"{"success":false,"errors":[{"code":971,"message":"slow down"}],"result":null}"#
        let transport = FakeTransport(
            always: .json(429, failure, headers: [(name: "Retry-After", value: formatter.string(from: date))]))
        let error = try await #require(throws: CloudflareAPIError.self) {
            try await fakeClient(transport).listConnectors(accountID: F.account)
        }
        let wait = try #require(error.retryAfter)
        #expect(wait > 80 && wait <= 90)
    }

    @Test func a401HintsAtTheToken() async throws {
        let body = #"{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"result":null}"#
        let transport = FakeTransport(always: .json(401, body))
        let error = try await #require(throws: CloudflareAPIError.self) {
            try await fakeClient(transport).updateConnector(
                accountID: F.account, connectorID: F.otherAccount, enabled: true)
        }
        #expect(error.description.contains("9109 Invalid access token"))
        #expect(error.description.contains("\"SSO Connector Write\""))
    }

    @Test func aTransportFailureBecomesATransportError() async throws {
        let transport = FakeTransport([.failure(.timeout(host: "api.example.test", seconds: 12))])
        let error = try await #require(throws: CloudflareAPIError.self) {
            try await fakeClient(transport).listConnectors(accountID: F.account)
        }
        #expect(error.kind == .transport("no response from api.example.test within 12s"))
        #expect(
            error.description
                == "GET /accounts/\(F.account)/sso_connectors: no response from api.example.test within 12s")
        #expect(error.shortDescription == "timeout")
    }

    @Test func theRatelimitHeaderOfASuccessIsReported() async throws {
        let transport = FakeTransport(
            always: .json(200, Self.emptyList, headers: [(name: "RateLimit", value: #""default";r=17;t=42"#)]))
        let list = try await fakeClient(transport).listConnectors(accountID: F.account)
        #expect(list.rateLimit?.remaining == 17)
        #expect(list.rateLimit?.resetSeconds == 42)
    }

    @Test(arguments: [
        (#""default";r=17;t=42"#, 17, 42), ("r=0; t=300", 0, 300), (#""default";t=5;r=9;x=1"#, 9, 5),
    ])
    func ratelimitHeadersParse(header: String, remaining: Int, reset: Int) {
        let status = RateLimitStatus(header: header)
        #expect(status?.remaining == remaining)
        #expect(status?.resetSeconds == reset)
    }

    @Test(arguments: ["", #""default";r=17"#, "t=4", "r=x;t=1", "garbage"])
    func incompleteRatelimitHeadersAreIgnored(header: String) {
        #expect(RateLimitStatus(header: header) == nil)
    }

    @Test func deleteFallsBackToTheRequestedIDWhenTheResultHasNone() async throws {
        let transport = FakeTransport(always: .json(200, #"{"success":true,"errors":[],"messages":[],"result":null}"#))
        let id = try await fakeClient(transport).deleteConnector(accountID: F.account, connectorID: F.otherAccount)
        #expect(id == F.otherAccount)
    }

    @Test func aSingleResultThatIsNotAnObjectIsUndecodable() async throws {
        let transport = FakeTransport(always: .json(200, #"{"success":true,"errors":[],"result":[1]}"#))
        let error = try await #require(throws: CloudflareAPIError.self) {
            try await fakeClient(transport).getConnector(accountID: F.account, connectorID: F.otherAccount)
        }
        #expect(error.kind == .undecodable("`result` is not a connector object"))
        #expect(error.operation == "GET /accounts/\(F.account)/sso_connectors/\(F.otherAccount)")
    }
}
