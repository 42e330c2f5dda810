import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchState

/// Error codes the simulated API answers with. Those below 2000 are the simulator's own choices (Cloudflare
/// does not document them for these endpoints); the others are codes Cloudflare is known to send.
public enum SimulatedErrorCode: Int, Sendable, CaseIterable {
    /// The body is not JSON, not an object, or a field has the wrong type (HTTP 400).
    case invalidRequestBody = 1001
    /// `create` for an email domain that already has a connector in the account (HTTP 400).
    case duplicateDomain = 1002
    /// No connector with that id in the account (HTTP 404).
    case connectorNotFound = 1003
    /// `update` with `enabled: true` on a connector that is not verified (HTTP 400).
    case notVerified = 1004
    /// Too many requests for the token (HTTP 429).
    case rateLimited = 971
    /// Missing or malformed `Authorization` header (HTTP 400), with 6111 in `error_chain`.
    case invalidRequestHeaders = 6003
    /// The `error_chain` item of `invalidRequestHeaders`.
    case invalidAuthorizationFormat = 6111
    /// Second error of an invalid identifier (HTTP 400).
    case noRouteForURI = 7000
    /// Known path, wrong method (HTTP 405).
    case methodNotAllowed = 7001
    /// Unknown path (HTTP 404), or first error of an invalid identifier (HTTP 400).
    case couldNotRoute = 7003
    /// The token is unknown or not valid for the account (HTTP 403).
    case authentication = 10000
}

extension SimulatorState {
    /// Decides the answer to one request: queued faults first, then routing, authentication, the rate limit
    /// and the endpoint itself.
    mutating func respond(to request: RecordedRequest, now: Date, instant: ContinuousClock.Instant) -> ServerAction {
        let token = Self.bearerToken(request.header("Authorization"))
        let rate = countRequest(token: token ?? "", now: instant)
        var reply = Reply(rate: rate)
        if let fault = takeFault(accountID: SimulatorRoute.accountSegment(of: request.path)) {
            switch fault {
            case .dropConnection:
                return .drop
            case .headThenSilence:
                return .headThenSilence(answer(request, token: token, reply: &reply, now: now))
            case .slow(let seconds):
                let delay = Duration.milliseconds(Int64((seconds * 1000).rounded()))
                return .respond(answer(request, token: token, reply: &reply, now: now), delay: delay)
            default:
                if let response = fault.response(rateLimitHeaders: rate.headers) {
                    return .respond(response, delay: nil)
                }
            }
        }
        return .respond(answer(request, token: token, reply: &reply, now: now), delay: nil)
    }

    /// The token of a well-formed `Bearer` header, else `nil`. Its length and characters are not checked:
    /// Cloudflare's token formats change.
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7)
        guard !token.contains(where: \.isWhitespace) else { return nil }
        return String(token)
    }

    /// Routing, authentication and rate limiting, then the endpoint.
    private mutating func answer(
        _ request: RecordedRequest, token: String?, reply: inout Reply, now: Date
    ) -> ServerResponse {
        let accountID: String
        let target: SimulatorRoute.Target
        switch SimulatorRoute(path: request.path) {
        case .noRoute:
            return reply.failure(404, .couldNotRoute, "No route for the URI")
        case .invalidIdentifier:
            let message = "Could not route to \(request.path), perhaps your object identifier is invalid?"
            return reply.json(
                400,
                JSONText.failure([
                    JSONText.errorItem(code: SimulatedErrorCode.couldNotRoute.rawValue, message: message),
                    JSONText.errorItem(
                        code: SimulatedErrorCode.noRouteForURI.rawValue, message: "No route for that URI"),
                ]))
        case .route(let account, let routeTarget):
            accountID = account
            target = routeTarget
        }
        guard target.allowedMethods.contains(request.method) else {
            return reply.failure(405, .methodNotAllowed, "Method \(request.method) not allowed for this route")
        }
        guard let token else {
            let cause = (
                SimulatedErrorCode.invalidAuthorizationFormat.rawValue, "Invalid format for Authorization header"
            )
            let error = JSONText.errorItem(
                code: SimulatedErrorCode.invalidRequestHeaders.rawValue, message: "Invalid request headers",
                chain: [cause])
            return reply.json(400, JSONText.failure([error]))
        }
        // No local copy of the account: mutating it in place below must not copy its storage.
        guard accounts[accountID]?.tokens.contains(token) == true,
            request.method == "GET" || !readOnlyTokens.contains(token)
        else {
            return reply.failure(403, .authentication, "Authentication error")
        }
        if rateLimit.enforced && reply.rate.overQuota {
            reply.extraHeaders = [("Retry-After", String(max(1, reply.rate.resetSeconds)))]
            return reply.failure(429, .rateLimited, "Please wait and consider throttling your request speed")
        }
        switch target {
        case .collection where request.method == "GET":
            return list(accountID, reply: reply)
        case .collection:
            return create(in: accountID, body: request.body, reply: reply, now: now)
        case .connector(let id), .beginVerification(let id):
            guard let connector = accounts[accountID]?.connectors[id] else {
                return reply.failure(404, .connectorNotFound, "SSO connector not found")
            }
            switch (request.method, target) {
            case ("GET", _):
                return reply.json(200, JSONText.success(result: connector.json))
            case ("DELETE", _):
                _ = accounts[accountID]?.remove(id)
                return reply.json(200, JSONText.success(result: "{\"id\":\(JSONText.string(id))}"))
            case ("PATCH", _):
                return update(connector, body: request.body, reply: reply, now: now)
            default:
                update(accountID: accountID, connectorID: id, now: now) { $0.status = "pending" }
                return reply.json(200, JSONText.success(result: nil))
            }
        }
    }

    private mutating func list(_ accountID: String, reply: Reply) -> ServerResponse {
        let result = accounts[accountID]?.resultArrayJSON() ?? "[]"
        let count = accounts[accountID]?.count ?? 0
        let total = accounts[accountID]?.reportedTotalCount ?? count
        let info = "{\"count\":\(count),\"page\":1,\"per_page\":\(count),\"total_count\":\(total)}"
        return reply.json(200, JSONText.success(result: result, resultInfo: info))
    }

    private mutating func create(in accountID: String, body: [UInt8], reply: Reply, now: Date) -> ServerResponse {
        let create: CreateRequest
        do {
            create = try CreateRequest(body: body)
        } catch {
            return reply.failure(400, .invalidRequestBody, error.message)
        }
        if accounts[accountID]?.hasDomain(create.emailDomain) == true {
            let message = "An SSO connector for \(create.emailDomain) already exists in this account"
            return reply.failure(400, .duplicateDomain, message)
        }
        let connector = makeConnector(
            accountID: accountID, domain: create.emailDomain, status: create.beginVerification ? "pending" : "awaiting",
            enabled: false, useFedrampLanguage: create.useFedrampLanguage, now: now)
        accounts[accountID]?.insert(connector)
        return reply.json(200, JSONText.success(result: connector.json))
    }

    private mutating func update(
        _ connector: SimulatedConnector, body: [UInt8], reply: Reply, now: Date
    ) -> ServerResponse {
        let patch: UpdateRequest
        do {
            patch = try UpdateRequest(body: body)
        } catch {
            return reply.failure(400, .invalidRequestBody, error.message)
        }
        if patch.enabled == true && !connector.enabled && connector.status != "verified" {
            return reply.failure(400, .notVerified, "SSO connector must be verified before it can be enabled")
        }
        let updated = update(accountID: connector.accountID, connectorID: connector.id, now: now) { connector in
            if let enabled = patch.enabled { connector.enabled = enabled }
            if let fedramp = patch.useFedrampLanguage { connector.useFedrampLanguage = fedramp }
        }
        return reply.json(200, JSONText.success(result: (updated ?? connector).json))
    }
}

/// Builds JSON responses that carry the rate-limit headers.
struct Reply {
    var rate: SimulatorState.RateStatus
    var extraHeaders: [(String, String)] = []

    func json(_ status: Int, _ body: String) -> ServerResponse {
        ServerResponse(
            status: status,
            headers: [("Content-Type", "application/json"), ("Server", "cloudflare")] + rate.headers + extraHeaders,
            body: body)
    }

    func failure(_ status: Int, _ code: SimulatedErrorCode, _ message: String) -> ServerResponse {
        json(status, JSONText.failure([JSONText.errorItem(code: code.rawValue, message: message)]))
    }
}
