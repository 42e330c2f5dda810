import Foundation
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel

/// The answer to a list request: the decoded connectors and what came with them.
public struct ConnectorList: Sendable, Equatable {
    public var connectors: [Connector]
    /// The `result` array exactly as received, re-serialised (for `--json`). Made when read, from the response
    /// body: the daemon never reads it, and making it on every poll was two thirds of its CPU (BENCHMARKS.md).
    public var rawResult: String { CloudflareClient.serializedResult(ofBody: body) }
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
    /// The `result` object exactly as received, re-serialised (for `--json`).
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
        if (200..<300).contains(response.status), let list = ConnectorListReader.decode(response.body) {
            return Self.connectorList(
                list.connectors, returned: list.connectors.count, totalCount: list.totalCount,
                warnings: [], response: response)
        }
        let envelope = try Self.decodeEnvelope(response, operation: operation)
        guard let array = envelope["result"] as? [Any] else {
            throw CloudflareAPIError(
                kind: .undecodable("`result` is not an array of connectors"), operation: operation,
                httpStatus: response.status)
        }
        var connectors: [Connector] = []
        var warnings: [String] = []
        connectors.reserveCapacity(array.count)
        for item in array {
            guard let object = item as? [String: Any] else {
                warnings.append("skipped a list entry that is not an object")
                continue
            }
            connectors.append(Self.decodeConnector(object))
        }
        let info = envelope["result_info"] as? [String: Any]
        return Self.connectorList(
            connectors, returned: array.count, totalCount: info?["total_count"] as? Int, warnings: warnings,
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
        var body: [String: Any] = ["email_domain": emailDomain, "begin_verification": beginVerification]
        if let useFedrampLanguage { body["use_fedramp_language"] = useFedrampLanguage }
        return try await single("POST", "/accounts/\(accountID)/sso_connectors", body: body)
    }

    /// `PATCH /accounts/{id}/sso_connectors/{connector}`: only the given fields are sent.
    public func updateConnector(
        accountID: String, connectorID: String, enabled: Bool? = nil, useFedrampLanguage: Bool? = nil
    ) async throws(CloudflareAPIError) -> ConnectorResponse {
        var body: [String: Any] = [:]
        if let enabled { body["enabled"] = enabled }
        if let useFedrampLanguage { body["use_fedramp_language"] = useFedrampLanguage }
        return try await single("PATCH", "/accounts/\(accountID)/sso_connectors/\(connectorID)", body: body)
    }

    /// `DELETE /accounts/{id}/sso_connectors/{connector}`; returns the deleted id.
    public func deleteConnector(accountID: String, connectorID: String) async throws(CloudflareAPIError) -> String {
        let path = "/accounts/\(accountID)/sso_connectors/\(connectorID)"
        let (envelope, _) = try await call("DELETE", path)
        return ((envelope["result"] as? [String: Any])?["id"] as? String) ?? connectorID
    }

    /// `POST /accounts/{id}/sso_connectors/{connector}/begin_verification`.
    public func beginVerification(accountID: String, connectorID: String) async throws(CloudflareAPIError) {
        _ = try await call("POST", "/accounts/\(accountID)/sso_connectors/\(connectorID)/begin_verification")
    }

    // MARK: - Envelope handling

    private func single(_ method: String, _ path: String, body: [String: Any]?) async throws(CloudflareAPIError)
        -> ConnectorResponse
    {
        let (envelope, response) = try await call(method, path, body: body)
        guard let object = envelope["result"] as? [String: Any] else {
            throw CloudflareAPIError(
                kind: .undecodable("`result` is not a connector object"), operation: "\(method) \(path)",
                httpStatus: response.status)
        }
        return ConnectorResponse(connector: Self.decodeConnector(object), rawResult: Self.serialize(object))
    }

    /// Sends one request and returns the decoded envelope of a successful answer.
    private func call(_ method: String, _ path: String, body: [String: Any]? = nil) async throws(CloudflareAPIError)
        -> ([String: Any], HTTPResponseSpec)
    {
        let response = try await send(method, path, body: body)
        return (try Self.decodeEnvelope(response, operation: "\(method) \(path)"), response)
    }

    /// Sends one request and returns the answer, whatever its status.
    private func send(_ method: String, _ path: String, body: [String: Any]? = nil) async throws(CloudflareAPIError)
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
            bytes = Array(
                (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8))
        }
        let request = HTTPRequestSpec(
            method: method, url: baseURL + path, headers: headers, body: bytes, timeout: timeout)
        do {
            return try await transport.send(request)
        } catch {
            throw CloudflareAPIError(kind: .transport(error.description), operation: operation)
        }
    }

    /// Decodes Cloudflare's envelope, turning every kind of failure into a `CloudflareAPIError`.
    static func decodeEnvelope(_ response: HTTPResponseSpec, operation: String) throws(CloudflareAPIError)
        -> [String: Any]
    {
        let retryAfter = response.header("Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
        let rateLimit = response.header("Ratelimit").flatMap(RateLimitStatus.init(header:))
        let success = (200..<300).contains(response.status)
        let json = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
        guard let envelope = json as? [String: Any], let succeeded = envelope["success"].flatMap(jsonBool) else {
            let reason =
                response.body.isEmpty
                ? "empty body"
                : json == nil ? "body is not JSON (\(describeBody(response)))" : "body is not a Cloudflare envelope"
            throw CloudflareAPIError(
                kind: success ? .undecodable(reason) : .http, operation: operation, httpStatus: response.status,
                errors: [], retryAfter: retryAfter, rateLimit: rateLimit)
        }
        let errors = (envelope["errors"] as? [Any] ?? []).compactMap(decodeMessage)
        guard success, succeeded else {
            throw CloudflareAPIError(
                kind: success ? .unsuccessful : .http, operation: operation, httpStatus: response.status,
                errors: errors, retryAfter: retryAfter, rateLimit: rateLimit)
        }
        return envelope
    }

    private static func describeBody(_ response: HTTPResponseSpec) -> String {
        let type = response.header("Content-Type") ?? "no content type"
        return "\(type), \(response.body.count) bytes"
    }

    private static func decodeMessage(_ item: Any) -> CloudflareMessage? {
        guard let object = item as? [String: Any] else {
            return (item as? String).map { CloudflareMessage(code: nil, message: $0) }
        }
        let code = jsonInt(object["code"]) ?? (object["code"] as? String).flatMap { Int($0) }
        let message = (object["message"] as? String) ?? "(no message)"
        let chain = (object["error_chain"] as? [Any] ?? []).compactMap(decodeMessage)
        return CloudflareMessage(code: code, message: message, chain: chain)
    }

    static func decodeConnector(_ object: [String: Any]) -> Connector {
        let verification = object["verification"] as? [String: Any]
        return Connector(
            id: object["id"] as? String, emailDomain: object["email_domain"] as? String,
            enabled: object["enabled"].flatMap(jsonBool), createdOn: object["created_on"] as? String,
            updatedOn: object["updated_on"] as? String,
            useFedrampLanguage: object["use_fedramp_language"].flatMap(jsonBool),
            verificationCode: verification?["code"] as? String, rawStatus: verification?["status"] as? String)
    }

    /// The `result` of a body that `decodeEnvelope` accepted, re-serialised as `serialize` does.
    static func serializedResult(ofBody body: [UInt8]) -> String {
        let json = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        guard let result = (json as? [String: Any])?["result"] else { return "null" }
        return serialize(result)
    }

    private static func serialize(_ value: Any) -> String {
        let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: options) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
