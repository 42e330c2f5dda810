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

/// The six client operations against the simulated API: what each sends, what each decodes.
@Suite struct CloudflareClientOperationTests: SimulatedClientSuite {
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
            let failure = await listOnce(client, then: transport)
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
}
