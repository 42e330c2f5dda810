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

/// The Cloudflare client against the simulated API (requests as Cloudflare receives them, answers as
/// Cloudflare sends them) and against a scripted transport (answers no simulator produces).
/// Ids and tokens of the client tests.
enum ClientFixture {
    static let account = "023e105f4ecef8ad9ca31a8372d0c353"
    static let otherAccount = "0123456789abcdef0123456789abcdef"
    static let token = "cfut_client_test_token"
}

@Suite struct CloudflareClientTests {
    typealias F = ClientFixture

    /// A token distinctive enough that finding it in any text is a leak, not a coincidence.
    static let secretToken = "cfut_SECRET_must_never_be_printed_4f2a"

    /// Runs `body` with a started simulator (see `withSimulator`) and a client for it using `token`.
    private func withClient(
        token: String = ClientFixture.token, timeout: TimeInterval = 10,
        _ body: (CloudflareSimulator, CloudflareClient) async throws -> Void
    ) async throws {
        try await withStartedSimulator { sim in
            let transport = AsyncHTTPTransport()
            let client = CloudflareClient(
                baseURL: sim.baseURL, token: Secret(token, source: "test"), transport: transport, timeout: timeout)
            do {
                try await body(sim, client)
            } catch {
                await transport.shutdown()
                throw error
            }
            await transport.shutdown()
        }
    }

    /// A started simulator where `F.account` accepts `F.token` and `secretToken`, stopped afterwards.
    private func withStartedSimulator(_ body: (CloudflareSimulator) async throws -> Void) async throws {
        let sim = CloudflareSimulator(threads: 1)
        sim.addAccount(id: F.account, token: F.token)
        sim.addAccount(id: F.account, token: Self.secretToken)
        try await sim.start()
        do {
            try await body(sim)
        } catch {
            try? await sim.stop()
            throw error
        }
        try await sim.stop()
    }

    /// The only request the simulator received.
    private func onlyRequest(
        _ sim: CloudflareSimulator, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RecordedRequest {
        let requests = sim.requests
        try #require(
            requests.count == 1, "expected exactly one request, got \(requests.count)", sourceLocation: sourceLocation)
        return requests[0]
    }

    /// Checks what every request must carry: the bearer token, our User-Agent, no query string.
    private func expectStandardHeaders(
        _ request: RecordedRequest, token: String = ClientFixture.token,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(request.header("Authorization") == "Bearer \(token)", sourceLocation: sourceLocation)
        #expect(request.header("User-Agent") == "ssowatch/\(SSOWatchVersion.string)", sourceLocation: sourceLocation)
        #expect(request.query == nil, "no query string (the list is not paginated)", sourceLocation: sourceLocation)
    }

    // MARK: - The six operations

    @Test func listSendsAPlainGETAndDecodesEveryConnector() async throws {
        try await withClient { sim, client in
            let first = sim.addConnector(accountID: F.account, domain: "one.example.com", status: "verified")
            let second = sim.addConnector(accountID: F.account, domain: "two.example.com", status: "pending")

            let list = try await client.listConnectors(accountID: F.account)

            let request = try onlyRequest(sim)
            #expect(request.method == "GET")
            #expect(request.path == "/client/v4/accounts/\(F.account)/sso_connectors")
            #expect(request.body.isEmpty)
            expectStandardHeaders(request)
            #expect(list.connectors.map(\.id) == [first, second])
            #expect(list.connectors.map(\.emailDomain) == ["one.example.com", "two.example.com"])
            #expect(list.connectors.map(\.status) == [.verified, .pending])
            #expect(list.connectors.map(\.enabled) == [false, false])
            #expect(list.connectors[0].verificationCode == "cloudflare_dashboard_sso=\(first)")
            #expect(list.connectors[0].createdOn?.hasSuffix("Z") == true)
            #expect(list.totalCount == 2)
            #expect(list.warnings.isEmpty)
            #expect(list.rateLimit == RateLimitStatus(header: "\"default\";r=1199;t=300"))
            let raw = try #require(
                try JSONSerialization.jsonObject(with: Data(list.rawResult.utf8)) as? [[String: Any]])
            #expect(raw.compactMap { $0["id"] as? String } == [first, second])
        }
    }

    @Test func anEmptyAccountIsAnEmptyList() async throws {
        try await withClient { _, client in
            let list = try await client.listConnectors(accountID: F.account)
            #expect(list.connectors.isEmpty)
            #expect(list.warnings.isEmpty)
            #expect(list.rawResult.filter { !$0.isWhitespace } == "[]")
        }
    }

    @Test func aTrailingSlashOnTheBaseURLIsIgnored() async throws {
        try await withStartedSimulator { sim in
            let transport = AsyncHTTPTransport()
            let client = CloudflareClient(
                baseURL: sim.baseURL + "//", token: Secret(F.token, source: "test"), transport: transport)
            var failure: CloudflareAPIError?
            do throws(CloudflareAPIError) {
                _ = try await client.listConnectors(accountID: F.account)
            } catch {
                failure = error
            }
            await transport.shutdown()
            #expect(failure == nil)
            let request = try onlyRequest(sim)
            #expect(request.path == "/client/v4/accounts/\(F.account)/sso_connectors")
        }
    }

    @Test func getFetchesOneConnector() async throws {
        try await withClient { sim, client in
            let id = sim.addConnector(accountID: F.account, domain: "get.example.com", status: "failed", enabled: true)

            let response = try await client.getConnector(accountID: F.account, connectorID: id)

            let request = try onlyRequest(sim)
            #expect(request.method == "GET")
            #expect(request.path == "/client/v4/accounts/\(F.account)/sso_connectors/\(id)")
            #expect(request.body.isEmpty)
            expectStandardHeaders(request)
            #expect(response.connector.id == id)
            #expect(response.connector.emailDomain == "get.example.com")
            #expect(response.connector.status == .failed)
            #expect(response.connector.enabled == true)
            #expect(response.connector.useFedrampLanguage == false)
            let raw = try JSONSerialization.jsonObject(with: Data(response.rawResult.utf8)) as? [String: Any]
            #expect(raw?["id"] as? String == id)
        }
    }

    struct CreateCase: Sendable, CustomTestStringConvertible {
        var beginVerification: Bool
        var fedramp: Bool?
        var expectedBody: String
        var expectedStatus: VerificationStatus
        var testDescription: String { expectedBody }
    }

    @Test(arguments: [
        CreateCase(
            beginVerification: true, fedramp: nil,
            expectedBody: #"{"begin_verification":true,"email_domain":"new.example.com"}"#, expectedStatus: .pending),
        CreateCase(
            beginVerification: false, fedramp: nil,
            expectedBody: #"{"begin_verification":false,"email_domain":"new.example.com"}"#,
            expectedStatus: .awaiting),
        CreateCase(
            beginVerification: true, fedramp: true,
            expectedBody: #"{"begin_verification":true,"email_domain":"new.example.com","use_fedramp_language":true}"#,
            expectedStatus: .pending),
    ])
    func createPostsTheDomainAndItsOptions(_ example: CreateCase) async throws {
        try await withClient { sim, client in
            let response = try await client.createConnector(
                accountID: F.account, emailDomain: "new.example.com", beginVerification: example.beginVerification,
                useFedrampLanguage: example.fedramp)

            let request = try onlyRequest(sim)
            #expect(request.method == "POST")
            #expect(request.path == "/client/v4/accounts/\(F.account)/sso_connectors")
            #expect(request.header("Content-Type") == "application/json")
            expectStandardHeaders(request)
            #expect(request.bodyString == example.expectedBody)
            #expect(response.connector.emailDomain == "new.example.com")
            #expect(response.connector.status == example.expectedStatus)
            #expect(response.connector.useFedrampLanguage == (example.fedramp ?? false))
            let id = try #require(response.connector.id)
            #expect(response.connector.verificationCode == "cloudflare_dashboard_sso=\(id)")
            #expect(sim.connector(accountID: F.account, id: id)?.emailDomain == "new.example.com")
        }
    }

    @Test func createUsesBeginVerificationByDefault() async throws {
        try await withClient { sim, client in
            _ = try await client.createConnector(accountID: F.account, emailDomain: "default.example.com")
            let body = try #require(try onlyRequest(sim).jsonObject)
            #expect(Set(body.keys) == ["email_domain", "begin_verification"])
            #expect(try onlyRequest(sim).bodyString.contains(#""begin_verification":true"#))
        }
    }

    @Test func updateSendsOnlyTheGivenFields() async throws {
        try await withClient { sim, client in
            let id = sim.addConnector(accountID: F.account, domain: "up.example.com", status: "verified")
            let path = "/client/v4/accounts/\(F.account)/sso_connectors/\(id)"

            let fedramp = try await client.updateConnector(
                accountID: F.account, connectorID: id, useFedrampLanguage: true)
            let enabled = try await client.updateConnector(accountID: F.account, connectorID: id, enabled: true)
            let both = try await client.updateConnector(
                accountID: F.account, connectorID: id, enabled: false, useFedrampLanguage: false)

            let requests = sim.requests
            try #require(requests.count == 3)
            #expect(requests.map(\.method) == ["PATCH", "PATCH", "PATCH"])
            #expect(requests.map(\.path) == [path, path, path])
            for request in requests { expectStandardHeaders(request) }
            #expect(requests[0].bodyString == #"{"use_fedramp_language":true}"#)
            #expect(requests[1].bodyString == #"{"enabled":true}"#)
            #expect(requests[2].bodyString == #"{"enabled":false,"use_fedramp_language":false}"#)
            #expect(fedramp.connector.useFedrampLanguage == true)
            #expect(fedramp.connector.enabled == false)
            #expect(enabled.connector.enabled == true)
            #expect(both.connector.enabled == false)
            #expect(both.connector.useFedrampLanguage == false)
        }
    }

    @Test func deleteSendsNoBodyAndReturnsTheDeletedID() async throws {
        try await withClient { sim, client in
            let id = sim.addConnector(accountID: F.account, domain: "gone.example.com")

            let deleted = try await client.deleteConnector(accountID: F.account, connectorID: id)

            let request = try onlyRequest(sim)
            #expect(request.method == "DELETE")
            #expect(request.path == "/client/v4/accounts/\(F.account)/sso_connectors/\(id)")
            #expect(request.body.isEmpty)
            expectStandardHeaders(request)
            #expect(deleted == id)
            #expect(sim.connector(accountID: F.account, id: id) == nil)
        }
    }

    @Test func beginVerificationPostsWithoutABodyAndAcceptsAnEnvelopeWithoutResult() async throws {
        try await withClient { sim, client in
            let id = sim.addConnector(accountID: F.account, domain: "retry.example.com", status: "failed")

            try await client.beginVerification(accountID: F.account, connectorID: id)

            let request = try onlyRequest(sim)
            #expect(request.method == "POST")
            #expect(request.path == "/client/v4/accounts/\(F.account)/sso_connectors/\(id)/begin_verification")
            #expect(request.body.isEmpty)
            expectStandardHeaders(request)
            #expect(sim.connector(accountID: F.account, id: id)?.status == "pending")
        }
    }

    // MARK: - Error shapes from the simulated API

    @Test func aWrongTokenIs403WithCode10000AndAReadPermissionHint() async throws {
        try await withClient(token: "cfut_wrong_token") { _, client in
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
            #expect(error.kind == .undecodable("body is not a Cloudflare envelope"))
            #expect(error.httpStatus == 200)
            #expect(error.isTransient)
        }
    }

    @Test func truncatedJSONIsUndecodable() async throws {
        try await withClient { sim, client in
            sim.injectFault(.malformedJSON)
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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
        var failure: CloudflareAPIError?
        do throws(CloudflareAPIError) {
            _ = try await client.listConnectors(accountID: F.account)
        } catch {
            failure = error
        }
        await transport.shutdown()
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
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
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

    // MARK: - Defensive decoding

    @Test func unknownFieldsUnknownStatusesAndWrongTypesAreTolerated() async throws {
        try await withClient { sim, client in
            let odd = sim.addConnector(accountID: F.account, domain: "odd.example.com")
            let wrong = sim.addConnector(accountID: F.account, domain: "wrong.example.com")
            let bare = sim.addConnector(accountID: F.account, domain: "bare.example.com")
            let normal = sim.addConnector(accountID: F.account, domain: "normal.example.com", status: "verified")
            sim.setRawConnectorJSON(
                accountID: F.account, connectorID: odd,
                json: """
                    {"id":"\(odd)","email_domain":"odd.example.com","enabled":1,"use_fedramp_language":"yes",\
                    "created_on":"2025-01-01T12:21:02.0000Z","brand_new":{"nested":[1,"two",null]},\
                    "verification":{"code":"cloudflare_dashboard_sso=\(odd)","status":"revoked","since":3}}
                    """)
            sim.setRawConnectorJSON(
                accountID: F.account, connectorID: wrong,
                json: #"{"id":5,"email_domain":["wrong.example.com"],"enabled":"true","verification":"pending"}"#)
            sim.setRawConnectorJSON(accountID: F.account, connectorID: bare, json: "{}")

            let list = try await client.listConnectors(accountID: F.account)

            #expect(list.warnings.isEmpty)
            try #require(list.connectors.count == 4)
            let first = list.connectors[0]
            #expect(first.id == odd)
            #expect(first.emailDomain == "odd.example.com")
            #expect(first.enabled == nil, "1 is not a boolean")
            #expect(first.useFedrampLanguage == nil)
            #expect(first.rawStatus == "revoked")
            #expect(first.status == nil)
            #expect(first.displayStatus == "revoked")
            #expect(first.createdOn == "2025-01-01T12:21:02.0000Z")
            #expect(first.verificationCode == "cloudflare_dashboard_sso=\(odd)")
            #expect(list.connectors[1] == Connector(id: nil))
            #expect(list.connectors[1].displayStatus == "unknown")
            #expect(list.connectors[2] == Connector(id: nil))
            #expect(list.connectors[3].id == normal)
            #expect(list.connectors[3].status == .verified)
            #expect(list.rawResult.contains("brand_new"), "--json shows what Cloudflare sent")
        }
    }

    @Test func aMissingStatusIsShownAsUnknown() async throws {
        try await withClient { sim, client in
            let id = sim.addConnector(accountID: F.account, domain: "nostatus.example.com", status: nil)
            let response = try await client.getConnector(accountID: F.account, connectorID: id)
            #expect(response.connector.rawStatus == nil)
            #expect(response.connector.status == nil)
            #expect(response.connector.displayStatus == "unknown")
            #expect(response.connector.verificationCode == "cloudflare_dashboard_sso=\(id)")
        }
    }

    @Test func listEntriesThatAreNotObjectsAreSkippedWithAWarning() async throws {
        try await withClient { sim, client in
            let kept = sim.addConnector(accountID: F.account, domain: "kept.example.com")
            for (index, json) in ["\"a string\"", "null", "42", "[1]"].enumerated() {
                let id = sim.addConnector(accountID: F.account, domain: "junk\(index).example.com")
                sim.setRawConnectorJSON(accountID: F.account, connectorID: id, json: json)
            }

            let list = try await client.listConnectors(accountID: F.account)

            #expect(list.connectors.map(\.id) == [kept])
            #expect(list.warnings.count == 4)
            #expect(list.warnings.allSatisfy { $0.contains("not an object") })
        }
    }

    @Test func aTotalCountLargerThanTheListIsAWarning() async throws {
        try await withClient { sim, client in
            sim.addConnector(accountID: F.account, domain: "only.example.com")
            sim.setReportedTotalCount(accountID: F.account, 50)

            let list = try await client.listConnectors(accountID: F.account)

            #expect(list.connectors.count == 1)
            #expect(list.totalCount == 50)
            #expect(list.warnings.count == 1)
            #expect(list.warnings.first?.contains("50") == true)
            #expect(list.warnings.first?.contains("returned 1") == true)
            #expect(sim.requests.count == 1, "no second page is requested")
        }
    }

    @Test func aResultThatIsNotAnArrayIsUndecodable() async throws {
        try await withClient { sim, client in
            sim.injectFault(.httpStatus(200, body: #"{"success":true,"errors":[],"messages":[],"result":{"id":"x"}}"#))
            let error = try await #require(throws: CloudflareAPIError.self) {
                try await client.listConnectors(accountID: F.account)
            }
            #expect(error.kind == .undecodable("`result` is not an array of connectors"))
        }
    }

    // MARK: - Answers only a scripted transport gives

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
