import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// The errors the simulated API answers with, as `CloudflareAPIError` reports them: kind, status, hint,
/// and never the token.
@Suite struct CloudflareClientErrorTests: SimulatedClientSuite {
    @Test func aWrongTokenIs403WithCode10000AndAReadPermissionHint() async throws {
        try await withClient(token: "cfut_wrong_token") { _, client in
            let error = try await listError(client)
            #expect(error.kind == .http)
            #expect(error.httpStatus == 403)
            #expect(error.errors == [CloudflareMessage(code: 10000, message: "Authentication error")])
            #expect(!error.isTransient)
            #expect(error.hint?.contains("\"SSO Connector Read\"") == true)
            #expect(error.description.contains("HTTP 403"))
            #expect(error.description.contains("10000 Authentication error"))
            #expect(error.description.contains("GET /accounts/\(F.account)/sso_connectors"))
            #expect(error.shortDescription == "HTTP 403 (10000)")
        }
    }

    @Test func aWriteRefusedForTheTokenHintsAtTheWritePermission() async throws {
        try await withClient(token: "cfut_wrong_token") { _, client in
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.createConnector(accountID: F.account, emailDomain: "x.example.com")
            }
            #expect(error.httpStatus == 403)
            #expect(error.hint?.contains("\"SSO Connector Write\"") == true)
            #expect(error.hint?.contains("Read") == false)
        }
    }

    @Test func aMalformedAuthorizationIs6003WithItsErrorChain() async throws {
        // Whitespace inside the token makes the header malformed for Cloudflare; the client does not
        // validate tokens (their formats change), so the API's answer must come through intact.
        try await withClient(token: "not a token") { _, client in
            let error = try await listError(client)
            #expect(error.httpStatus == 400)
            #expect(error.errors.map(\.code) == [6003])
            #expect(
                error.errors.first?.chain == [
                    CloudflareMessage(code: 6111, message: "Invalid format for Authorization header")
                ])
            #expect(
                error.description.contains(
                    "6003 Invalid request headers (6111 Invalid format for Authorization header)"))
            #expect(!error.isTransient)
        }
    }

    @Test func aNotFoundConnectorIs404WithCloudflaresMessage() async throws {
        try await withClient { _, client in
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.getConnector(accountID: F.account, connectorID: "0123456789abcdef0123456789abcdef")
            }
            #expect(error.httpStatus == 404)
            #expect(error.errors.map(\.message) == ["SSO connector not found"])
            #expect(error.hint == nil)
            #expect(!error.isTransient)
        }
    }

    @Test func enablingAnUnverifiedConnectorReportsTheAPIsRefusal() async throws {
        try await withClient { sim, client in
            let id = sim.addConnector(accountID: F.account, domain: "early.example.com", status: "pending")
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.updateConnector(accountID: F.account, connectorID: id, enabled: true)
            }
            #expect(error.httpStatus == 400)
            #expect(error.errors.map(\.code) == [1004])
            #expect(sim.connector(accountID: F.account, id: id)?.enabled == false)
        }
    }

    @Test func aRateLimitedAnswerCarriesRetryAfterCode971AndTheRatelimitHeader() async throws {
        try await withClient { sim, client in
            sim.injectFault(.rateLimited(retryAfter: 7))
            let error = try await listError(client)
            #expect(error.httpStatus == 429)
            #expect(error.retryAfter == 7)
            #expect(error.errors.map(\.code) == [971])
            #expect(error.rateLimit?.remaining == 0)
            #expect(error.rateLimit?.resetSeconds == 7)
            #expect(error.isRateLimited)
            #expect(error.isTransient)
            #expect(error.hint?.contains("wait 7s") == true)
        }
    }

    @Test(arguments: [502, 503, 520])
    func anHTMLErrorPageIsATransientHTTPError(status: Int) async throws {
        try await withClient { sim, client in
            sim.injectFault(.htmlError(status))
            let error = try await listError(client)
            #expect(error.kind == .http)
            #expect(error.httpStatus == status)
            #expect(error.errors.isEmpty)
            #expect(error.isTransient)
            #expect(error.description.contains("HTTP \(status)"))
            #expect(!error.description.contains("<"), "the HTML page is not dumped into the message")
            #expect(error.shortDescription == "HTTP \(status)")
        }
    }

    @Test func aBodyThatIsNotAnEnvelopeIsUndecodableAndTransient() async throws {
        try await withClient { sim, client in
            sim.injectFault(.notEnvelope)
            let error = try await listError(client)
            #expect(error.kind == .undecodable("body is not a Cloudflare envelope"))
            #expect(error.httpStatus == 200)
            #expect(error.isTransient)
        }
    }

    @Test func truncatedJSONIsUndecodable() async throws {
        try await withClient { sim, client in
            sim.injectFault(.malformedJSON)
            let error = try await listError(client)
            guard case .undecodable(let reason) = error.kind else {
                Issue.record("expected .undecodable, got \(error.kind)")
                return
            }
            #expect(reason.contains("not JSON"))
            #expect(reason.contains("application/json"))
            #expect(error.httpStatus == 200)
            #expect(error.isTransient)
            #expect(error.shortDescription == "HTTP 200, unreadable body")
        }
    }

    @Test func successFalseInA200IsAnError() async throws {
        try await withClient { sim, client in
            sim.injectFault(.successFalse(code: 9109, message: "Invalid access token"))
            let error = try await listError(client)
            #expect(error.kind == .unsuccessful)
            #expect(error.httpStatus == 200)
            #expect(error.errors == [CloudflareMessage(code: 9109, message: "Invalid access token")])
            #expect(error.description.contains("success: false"))
            #expect(error.description.contains("9109 Invalid access token"))
        }
    }

    @Test(arguments: [200, 503])
    func anEmptyBodyIsAnError(status: Int) async throws {
        try await withClient { sim, client in
            sim.injectFault(.httpStatus(status, body: ""))
            let error = try await listError(client)
            #expect(error.httpStatus == status)
            #expect(error.kind == (status == 200 ? .undecodable("empty body") : .http))
            #expect(error.isTransient)
        }
    }

    @Test func stringCodesAndExtraKeysInErrorItemsAreUnderstood() async throws {
        try await withClient { sim, client in
            let body = """
                {"success":false,"errors":[{"code":"10000","message":"Authentication error",\
                "documentation_url":"https://developers.cloudflare.com/api","source":{"pointer":"/header"},\
                "meta":{"x":[1,2]},"error_chain":[{"code":"6111","message":"Invalid format","extra":true}]}],\
                "messages":[{"code":1,"message":"note"}],"result":null}
                """
            sim.injectFault(.httpStatus(403, body: body))
            let error = try await listError(client)
            #expect(
                error.errors == [
                    CloudflareMessage(
                        code: 10000, message: "Authentication error",
                        chain: [CloudflareMessage(code: 6111, message: "Invalid format")])
                ])
        }
    }

    @Test func aSlowAnswerTimesOutWithATransportErrorNamingTheHostOnly() async throws {
        try await withClient(timeout: 0.3) { sim, client in
            // The simulator would answer after a minute: an error at all means the client gave up at its
            // own timeout. (Under a loaded test run the deadline can fire seconds late: AsyncHTTPClient
            // cancels through a task on the shared pool, so a shorter delay could let the answer win.)
            sim.injectFault(.slow(seconds: 60))
            let error = try await listError(client)
            guard case .transport(let reason) = error.kind else {
                Issue.record("expected .transport, got \(error.kind)")
                return
            }
            #expect(reason.contains("127.0.0.1"))
            #expect(error.httpStatus == nil)
            #expect(error.isTransient)
            #expect(error.shortDescription == "timeout")
            #expect(!error.description.contains(sim.baseURL))
            #expect(!error.description.contains("http://"))
            #expect(!error.description.contains(":\(sim.port)"))
        }
    }

    @Test func aDroppedConnectionIsATransportError() async throws {
        try await withClient { sim, client in
            sim.injectFault(.dropConnection)
            let error = try await listError(client)
            guard case .transport(let reason) = error.kind else {
                Issue.record("expected .transport, got \(error.kind)")
                return
            }
            #expect(reason.contains("127.0.0.1"))
            #expect(error.isTransient)
            #expect(error.shortDescription == "unreachable")
        }
    }

    @Test func aClosedPortIsATransportError() async throws {
        let sim = CloudflareSimulator(threads: 1)
        try await sim.start()
        let baseURL = sim.baseURL
        try await sim.stop()
        let transport = AsyncHTTPTransport()
        // A refused connection fails at once (no retry until the deadline); a long deadline keeps a loaded
        // test run from turning it into a timeout.
        let client = CloudflareClient(
            baseURL: baseURL, token: Secret(F.token, source: "test"), transport: transport, timeout: 10)
        let failure = await listOnce(client, then: transport)
        guard let error = failure, case .transport(let reason) = error.kind else {
            Issue.record("expected a transport error, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("127.0.0.1"), "\(reason)")
        #expect(!error.description.contains(baseURL))
        #expect(error.isTransient)
    }

    @Test(arguments: [
        Fault.htmlError(502), .rateLimited(retryAfter: 30), .malformedJSON, .notEnvelope,
        .successFalse(code: 9109, message: "Invalid access token", status: 401), .dropConnection,
        .slow(seconds: 60), .httpStatus(500, body: #"{"error":"internal"}"#),
    ])
    func noErrorDescriptionContainsTheToken(fault: Fault) async throws {
        try await withClient(token: Self.secretToken, timeout: 0.3) { sim, client in
            sim.injectFault(fault)
            let error = try await listError(client)
            for text in [error.description, error.shortDescription, error.hint ?? "", "\(error.kind)"] {
                #expect(!text.contains(Self.secretToken))
                #expect(!text.contains("cfut_"))
            }
        }
    }

    @Test func aRefusedTokenIsNotRepeatedInTheError() async throws {
        try await withClient(token: Self.secretToken + "_revoked") { _, client in
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.deleteConnector(accountID: F.account, connectorID: "0123456789abcdef0123456789abcdef")
            }
            #expect(error.httpStatus == 403)
            #expect(!error.description.contains("SECRET"))
        }
    }
}
