import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel

/// What one `begin_verification` attempt comes to (docs/CONFIGURATION.md, "Verification assistance"): the
/// write token for the call, the read token for the read-back, and every failure an outcome with Cloudflare's
/// code and message, never a token.
@Suite struct VerificationStarterTests {
    static let accountID = "023e105f4ecef8ad9ca31a8372d0c353"
    static let connectorID = "7d1f5b0c2a9e4f3d8c6b1a0e9d8c7b6a"
    static let readToken = "cfut_read_token_1a2b"
    static let writeToken = "cfut_write_token_3c4d"
    static let ok = #"{"success":true,"errors":[],"messages":[],"result":null}"#

    static func connector(_ status: String) -> String {
        #"{"success":true,"errors":[],"messages":[],"result":{"id":"\#(connectorID)","verification":{"status":"\#(status)"}}}"#
    }

    /// The call and, once accepted, the read-back, as the daemon makes them (each when its budget allows).
    static func start(_ transport: FakeTransport) async throws -> VerificationStarter.Outcome {
        let account = AccountConfig(
            name: "prod", accountID: accountID, token: Secret(readToken, source: "test"), pollInterval: 60,
            webhooks: [], enabled: true, line: 1, autoBegin: .on, writeToken: Secret(writeToken, source: "test"))
        var daemon = DaemonConfig.defaults(environment: [:])
        daemon.apiBaseURL = "https://api.example.test/client/v4"
        let starter = try #require(VerificationStarter(account: account, daemon: daemon, transport: transport))
        switch await starter.call(accountID: accountID, connectorID: connectorID) {
        case .failure(let error):
            return VerificationStarter.failure(error)
        case .success(let status):
            let readBack = await starter.readBack(accountID: accountID, connectorID: connectorID)
            return VerificationStarter.accepted(status: status, readBack: readBack)
        }
    }

    static func authorization(_ request: HTTPRequestSpec) -> String? {
        request.headers.first { $0.name == "Authorization" }?.value
    }

    /// Cloudflare's answer can be anything: a kilobytes-long error or status is cut, once, before it reaches the
    /// event, the state file and `status`.
    @Test func longTextFromCloudflareIsCutWithAnEllipsis() async throws {
        let long = String(repeating: "x", count: 5000)
        let refused = #"{"success":false,"errors":[{"code":10000,"message":"\#(long)"}],"messages":[],"result":null}"#
        let failure = try await Self.start(FakeTransport([.success(.json(403, refused))]))
        let limit = VerificationStarter.Outcome.textLimit
        #expect(failure.report.cloudflareError?.count == limit)
        #expect(failure.report.cloudflareError?.hasPrefix("10000 xxx") == true)
        #expect(failure.report.cloudflareError?.hasSuffix("…") == true)
        #expect(failure.detail.count <= limit)

        let accepted = try await Self.start(
            FakeTransport([.success(.json(200, Self.ok)), .success(.json(200, Self.connector(long)))]))
        #expect(accepted.report.readBackStatus?.count == limit)
        #expect(accepted.detail.count <= limit)
    }

    @Test func anAcceptedCallIsReadBackWithTheReadToken() async throws {
        let transport = FakeTransport([.success(.json(200, Self.ok)), .success(.json(200, Self.connector("pending")))])
        let result = try await Self.start(transport)
        #expect(
            result.report == AutoBeginReport(mode: .on, outcome: .called, httpStatus: 200, readBackStatus: "pending"))
        #expect(result.detail.contains("now pending"), "\(result.detail)")
        let requests = transport.requests
        try #require(requests.count == 2)
        #expect(requests[0].method == "POST")
        #expect(requests[0].url.hasSuffix("/sso_connectors/\(Self.connectorID)/begin_verification"))
        #expect(Self.authorization(requests[0]) == "Bearer \(Self.writeToken)")
        #expect(requests[1].method == "GET")
        #expect(Self.authorization(requests[1]) == "Bearer \(Self.readToken)")
    }

    @Test func aReadBackThatIsNotPendingOrFailsIsStillAnAcceptedCall() async throws {
        let stale = try await Self.start(
            FakeTransport([.success(.json(200, Self.ok)), .success(.json(200, Self.connector("failed")))]))
        #expect(stale.report.outcome == .called && stale.report.readBackStatus == "failed")
        #expect(stale.detail.contains("not pending"), "\(stale.detail)")
        let unread = try await Self.start(FakeTransport([.success(.json(200, Self.ok))]))
        #expect(unread.report.outcome == .called && unread.report.readBackStatus == nil)
        #expect(unread.detail.contains("reading the connector back failed"), "\(unread.detail)")
        let stopped = VerificationStarter.accepted(status: 200, readBack: nil)
        #expect(stopped.report.outcome == .called && stopped.report.readBackStatus == nil)
        #expect(stopped.detail.contains("stopped before reading the connector back"), "\(stopped.detail)")
    }

    @Test(arguments: [401, 403])
    func aRefusalNamesTheMissingPermission(_ status: Int) async throws {
        let body =
            #"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#
        let transport = FakeTransport([.success(.json(status, body))])
        let result = try await Self.start(transport)
        #expect(result.report.outcome == .refused && result.report.httpStatus == status)
        #expect(result.report.cloudflareError == "10000 Authentication error")
        #expect(result.detail.contains("SSO Connector Write"), "\(result.detail)")
        #expect(transport.requests.count == 1, "no read-back after a refusal")
        #expect(!result.detail.contains(Self.writeToken) && !result.detail.contains(Self.readToken))
    }

    @Test func otherErrorsAndTimeoutsAreErrorsWithWhatWentWrong() async throws {
        let body =
            #"{"success":false,"errors":[{"code":1003,"message":"SSO connector not found"}],"messages":[],"result":null}"#
        let notFound = try await Self.start(FakeTransport([.success(.json(404, body))]))
        #expect(notFound.report.outcome == .error && notFound.report.httpStatus == 404)
        #expect(notFound.report.cloudflareError == "1003 SSO connector not found")
        #expect(notFound.detail.contains("tried again after 6h"), "\(notFound.detail)")
        let timeout = try await Self.start(
            FakeTransport([.failure(.timeout(host: "api.example.test", seconds: 30))]))
        #expect(timeout.report.outcome == .error && timeout.report.httpStatus == nil)
        let reason = try #require(timeout.report.cloudflareError)
        #expect(reason == HTTPTransportError.timeout(host: "api.example.test", seconds: 30).description, "\(reason)")
    }
}
