import Foundation
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel

/// The answer to a list request: the decoded connectors and what came with them.
public struct ConnectorList: Sendable, Equatable {
    public var connectors: [Connector]
    /// The `result` array as received, indented (for `--json`). Made when read, from the response
    /// body: the daemon never reads it, and making it on every poll was two thirds of its CPU (BENCHMARKS.md).
    public var rawResult: String { CloudflareAnswer.printedResult(ofBody: body) }
    /// `result_info.total_count`, when present.
    public var totalCount: Int?
    /// False when `totalCount` is larger than the number of connectors returned: the connectors not in
    /// the list may exist all the same.
    public var isComplete = true
    /// The `Ratelimit` header, when present.
    public var rateLimit: RateLimitStatus?
    /// Problems worth a warning that did not fail the request.
    public var warnings: [String]
    /// The body of the successful response the list was decoded from.
    var body: [UInt8]
}

/// A single-object answer (get, create, update).
public struct ConnectorResponse: Sendable, Equatable {
    public var connector: Connector
    /// The `result` object as received, indented (for `--json`).
    public var rawResult: String
}

/// A client for the six Cloudflare SSO connector operations. It holds no connection state of its
/// own; the transport pools connections.
public struct CloudflareClient: Sendable {
    public let baseURL: String
    private let token: Secret
    private let transport: any HTTPTransport
    private let timeout: TimeInterval

    /// Creates a client.
    /// - Parameters:
    ///   - baseURL: e.g. `https://api.cloudflare.com/client/v4` (a trailing slash is ignored).
    ///   - token: sent as `Authorization: Bearer …`; its format is not checked (it changes over time).
    ///   - timeout: per request.
    public init(baseURL: String, token: Secret, transport: any HTTPTransport, timeout: TimeInterval = 30) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.token = token
        self.transport = transport
        self.timeout = timeout
    }

    /// `GET /accounts/{id}/sso_connectors`.
    public func listConnectors(accountID: String) async throws(CloudflareAPIError) -> ConnectorList {
        let path = "/accounts/\(accountID)/sso_connectors"
        let operation = "GET \(path)"
        let response = try await send("GET", path)
        let answer = try Self.decode(response, expecting: .list, operation: operation)
        guard case .list(let connectors, let skipped) = answer.result else {
            throw CloudflareAPIError(
                kind: .undecodable("`result` is not an array of connectors"), operation: operation,
                httpStatus: response.status)
        }
        return Self.connectorList(
            connectors, returned: connectors.count + skipped, totalCount: answer.totalCount,
            warnings: Array(repeating: "skipped a list entry that is not an object", count: skipped),
            response: response)
    }

    /// The list with its warning when Cloudflare reports more connectors than it `returned` (compared with
    /// what was returned, not what could be decoded: skipped entries have their own warning).
    private static func connectorList(
        _ connectors: [Connector], returned: Int, totalCount: Int?, warnings: [String], response: HTTPResponseSpec
    ) -> ConnectorList {
        var warnings = warnings
        let isComplete = totalCount.map { $0 <= returned } ?? true
        if let totalCount, !isComplete {
            warnings.append(
                "Cloudflare reports \(totalCount) connectors but returned \(returned); the list is not "
                    + "paginated, so the rest cannot be fetched; connectors not in it are kept as they were")
        }
        return ConnectorList(
            connectors: connectors, totalCount: totalCount, isComplete: isComplete,
            rateLimit: response.header("Ratelimit").flatMap(RateLimitStatus.init(header:)), warnings: warnings,
            body: response.body)
    }

    /// `GET /accounts/{id}/sso_connectors/{connector}`.
    public func getConnector(accountID: String, connectorID: String) async throws(CloudflareAPIError)
        -> ConnectorResponse
    {
        try await single("GET", "/accounts/\(accountID)/sso_connectors/\(connectorID)", body: nil)
    }

    /// `POST /accounts/{id}/sso_connectors`.
    public func createConnector(
        accountID: String, emailDomain: String, beginVerification: Bool = true, useFedrampLanguage: Bool? = nil
    ) async throws(CloudflareAPIError) -> ConnectorResponse {
        var body = [
            JSONValue.Member(key: "begin_verification", value: .bool(beginVerification)),
            JSONValue.Member(key: "email_domain", value: .string(emailDomain)),
        ]
        if let useFedrampLanguage { body.append(.init(key: "use_fedramp_language", value: .bool(useFedrampLanguage))) }
        return try await single("POST", "/accounts/\(accountID)/sso_connectors", body: .object(body))
    }

    /// `PATCH /accounts/{id}/sso_connectors/{connector}`: only the given fields are sent.
    public func updateConnector(
        accountID: String, connectorID: String, enabled: Bool? = nil, useFedrampLanguage: Bool? = nil
    ) async throws(CloudflareAPIError) -> ConnectorResponse {
        // Keys in sorted order, as the other requests'.
        var body: [JSONValue.Member] = []
        if let enabled { body.append(.init(key: "enabled", value: .bool(enabled))) }
        if let useFedrampLanguage { body.append(.init(key: "use_fedramp_language", value: .bool(useFedrampLanguage))) }
        return try await single("PATCH", "/accounts/\(accountID)/sso_connectors/\(connectorID)", body: .object(body))
    }

    /// `DELETE /accounts/{id}/sso_connectors/{connector}`; returns the deleted id.
    public func deleteConnector(accountID: String, connectorID: String) async throws(CloudflareAPIError) -> String {
        let path = "/accounts/\(accountID)/sso_connectors/\(connectorID)"
        let answer = try Self.decode(try await send("DELETE", path), expecting: .deletion, operation: "DELETE \(path)")
        guard case .deletion(let id?) = answer.result else { return connectorID }
        return id
    }

    /// `POST /accounts/{id}/sso_connectors/{connector}/begin_verification`.
    /// - Returns: the HTTP status of Cloudflare's (successful) answer.
    @discardableResult
    public func beginVerification(accountID: String, connectorID: String) async throws(CloudflareAPIError) -> Int {
        let path = "/accounts/\(accountID)/sso_connectors/\(connectorID)/begin_verification"
        let response = try await send("POST", path)
        _ = try Self.decode(response, expecting: .nothing, operation: "POST \(path)")
        return response.status
    }

    // MARK: - Envelope handling

    private func single(_ method: String, _ path: String, body: JSONValue?) async throws(CloudflareAPIError)
        -> ConnectorResponse
    {
        let response = try await send(method, path, body: body)
        let answer = try Self.decode(response, expecting: .connector, operation: "\(method) \(path)")
        guard case .connector(let connector, let raw) = answer.result else {
            throw CloudflareAPIError(
                kind: .undecodable("`result` is not a connector object"), operation: "\(method) \(path)",
                httpStatus: response.status)
        }
        return ConnectorResponse(connector: connector, rawResult: (try? JSONByteReader.prettyPrinted(raw)) ?? "null")
    }

    /// Sends one request and returns the answer, whatever its status.
    private func send(_ method: String, _ path: String, body: JSONValue? = nil) async throws(CloudflareAPIError)
        -> HTTPResponseSpec
    {
        let operation = "\(method) \(path)"
        var headers: [(name: String, value: String)] = [
            ("Authorization", "Bearer \(token.value)"),
            ("User-Agent", SSOWatchVersion.userAgent),
            ("Accept", "application/json"),
        ]
        var bytes: [UInt8]?
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = body.bytes
        }
        let request = HTTPRequestSpec(
            method: method, url: baseURL + path, headers: headers, body: bytes, timeout: timeout)
        do {
            return try await transport.send(request)
        } catch {
            throw CloudflareAPIError(kind: .transport(error.description), operation: operation)
        }
    }

    /// Decodes Cloudflare's answer, turning every kind of failure into a `CloudflareAPIError`; the `result` is
    /// the caller's to check.
    static func decode(
        _ response: HTTPResponseSpec, expecting expected: CloudflareAnswer.Expected, operation: String
    ) throws(CloudflareAPIError) -> CloudflareAnswer {
        let retryAfter = response.header("Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
        let rateLimit = response.header("Ratelimit").flatMap(RateLimitStatus.init(header:))
        let success = (200..<300).contains(response.status)
        let answer = try? CloudflareAnswer(response.body, expecting: expected)
        guard let answer, let succeeded = answer.success else {
            let reason =
                response.body.isEmpty
                ? "empty body"
                : answer == nil ? "body is not JSON (\(describeBody(response)))" : "body is not a Cloudflare envelope"
            throw CloudflareAPIError(
                kind: success ? .undecodable(reason) : .http, operation: operation, httpStatus: response.status,
                errors: [], retryAfter: retryAfter, rateLimit: rateLimit)
        }
        guard success, succeeded else {
            throw CloudflareAPIError(
                kind: success ? .unsuccessful : .http, operation: operation, httpStatus: response.status,
                errors: answer.errors, retryAfter: retryAfter, rateLimit: rateLimit)
        }
        return answer
    }

    private static func describeBody(_ response: HTTPResponseSpec) -> String {
        let type = response.header("Content-Type") ?? "no content type"
        return "\(type), \(response.body.count) bytes"
    }
}
