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

/// Ids and tokens of the Cloudflare client tests.
enum ClientFixture {
    static let account = "023e105f4ecef8ad9ca31a8372d0c353"
    static let otherAccount = "0123456789abcdef0123456789abcdef"
    static let token = "cfut_client_test_token"
    /// A token distinctive enough that finding it in any text is a leak, not a coincidence.
    static let secretToken = "cfut_SECRET_must_never_be_printed_4f2a"
}

/// A suite of Cloudflare client tests against the simulated API (requests as Cloudflare receives them,
/// answers as Cloudflare sends them); conforming gives it the helpers below.
protocol SimulatedClientSuite {}

extension SimulatedClientSuite {
    typealias F = ClientFixture

    /// See `ClientFixture.secretToken`.
    static var secretToken: String { ClientFixture.secretToken }

    /// Runs `body` with a started simulator (see `withSimulator`) and a client for it using `token`.
    func withClient(
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
    func withStartedSimulator(_ body: (CloudflareSimulator) async throws -> Void) async throws {
        try await withSimulator(accounts: [(F.account, F.token), (F.account, Self.secretToken)], body)
    }

    /// The error that listing `F.account`'s connectors throws; the test fails when the list succeeds.
    func listError(
        _ client: CloudflareClient, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CloudflareAPIError {
        try await #require(throws: CloudflareAPIError.self, sourceLocation: sourceLocation) {
            try await client.listConnectors(accountID: F.account)
        }
    }

    /// Lists `F.account`'s connectors once with `client`, then shuts `transport` down; returns the error, if
    /// the list failed.
    func listOnce(_ client: CloudflareClient, then transport: AsyncHTTPTransport) async -> CloudflareAPIError? {
        var failure: CloudflareAPIError?
        do throws(CloudflareAPIError) {
            _ = try await client.listConnectors(accountID: F.account)
        } catch {
            failure = error
        }
        await transport.shutdown()
        return failure
    }

    /// The only request the simulator received.
    func onlyRequest(
        _ sim: CloudflareSimulator, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RecordedRequest {
        let requests = sim.requests
        try #require(
            requests.count == 1, "expected exactly one request, got \(requests.count)", sourceLocation: sourceLocation)
        return requests[0]
    }

    /// Checks what every request must carry: the bearer token, our User-Agent, no query string.
    func expectStandardHeaders(
        _ request: RecordedRequest, token: String = ClientFixture.token,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(request.header("Authorization") == "Bearer \(token)", sourceLocation: sourceLocation)
        #expect(request.header("User-Agent") == "ssowatch/\(SSOWatchVersion.string)", sourceLocation: sourceLocation)
        #expect(request.query == nil, "no query string (the list is not paginated)", sourceLocation: sourceLocation)
    }
}
