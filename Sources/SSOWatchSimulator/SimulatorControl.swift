import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
import Synchronization

/// A loopback control API for the benchmark, served by the simulated Cloudflare API under `/__sim/` (a
/// path Cloudflare's `/client/v4/…` can never collide with), so that a process other than the simulator's
/// can flip statuses and read, with the simulator's own clock, when each flip was first served in a list
/// and when its notification reached the webhook receiver.
///
/// | request | answer |
/// |---|---|
/// | `POST /__sim/flip` `{"account": ID, "connector": ID, "status": S}` | `{"flip": N, "flipped_at": T}` (404 for an unknown connector) |
/// | `GET /__sim/flips` | `{"flips": [{"flip", "account", "connector", "status", "flipped_at", "served_at"}]}` |
/// | `GET /__sim/received?after=SEQ` | `{"received": [{"sequence", "received_at", "type", "connector", "status", "event_id"}]}` |
/// | `GET /__sim/stats` | `{"list_requests": N, "requests": N, "rate_limited": N, "received": N}`, and `"dns_queries": N` with a `DNSSimulator` |
/// | `GET /__sim/request-times?after=N` | `{"total": T, "times": [T…]}`: when each API request after the N-th was answered (at most the latest 1,000,000 are kept) |
/// | `POST /__sim/reset` | forgets the flips and the receiver's recorded requests |
/// | `POST /__sim/read-only` `{"token": T, "read_only": B}` | `{}`: with `true`, the token's writes (`begin_verification`…) get Cloudflare's 403 |
/// | `GET /__sim/begin-verifications` | `{"calls": [{"sequence", "account", "connector", "token", "status"}]}`: the recent `begin_verification` requests, the token each carried and the HTTP status it got |
///
/// Times are Unix seconds (fractional) from the simulator's clock. `served_at` is when the simulator
/// answered the first successful list of the flipped connector's account that was decided after the flip
/// (`null` until then), so "received − served" is the poller's own share of the notification latency.
public final class SimulatorControl: Sendable {
    /// Every control path starts with this.
    public static let pathPrefix = "/__sim/"

    private struct Flip {
        var number: Int
        var accountID: String
        var connectorID: String
        var status: String
        var flippedAt: Date
        /// The simulator's request sequence number when the flip was applied: a list numbered above it
        /// reflects the flip.
        var sequence: Int
        var servedAt: Date?
    }

    private struct State {
        var flips: [Flip] = []
        /// Indices in `flips` not yet served, by account.
        var unserved: [String: [Int]] = [:]
        var listRequests = 0
        /// Answers with HTTP 429.
        var rateLimited = 0
        /// When each API request was answered (Unix seconds), for the requests-per-window figures.
        var requestTimes: [Double] = []
        /// API requests whose time was dropped from the front of `requestTimes`.
        var requestTimesDropped = 0
    }

    /// The most request times kept (a benchmark makes tens of thousands).
    private static let requestTimeLimit = 1_000_000

    /// The most flips remembered; older ones are dropped (a benchmark makes a few hundred).
    private static let flipLimit = 100_000

    private let simulator: CloudflareSimulator
    private let receiver: WebhookReceiver
    private let dns: DNSSimulator?
    private let state = Mutex(State())

    /// Creates a control for `simulator` whose notifications go to `receiver` (and whose stats count the
    /// queries `dns` received, when given); nothing is routed until `install()`.
    public init(simulator: CloudflareSimulator, receiver: WebhookReceiver, dns: DNSSimulator? = nil) {
        self.simulator = simulator
        self.receiver = receiver
        self.dns = dns
    }

    /// Routes `/__sim/` requests on the simulator to this control and starts watching list responses.
    /// It takes the simulator's `onRequest` slot.
    public func install() {
        simulator.store.control.withLock { $0 = RequestHook { [self] request in self.handle(request) } }
        simulator.onRequest = { [self] request in self.observe(request) }
    }

    // MARK: Observing list responses

    private func observe(_ request: RecordedRequest) {
        let now = Date()
        state.withLock { state in
            if state.requestTimes.count >= Self.requestTimeLimit {
                state.requestTimes.removeFirst(Self.requestTimeLimit / 2)
                state.requestTimesDropped += Self.requestTimeLimit / 2
            }
            state.requestTimes.append(now.timeIntervalSince1970)
            if request.responseStatus == 429 { state.rateLimited += 1 }
        }
        guard request.method == "GET", request.responseStatus == 200,
            case .route(let accountID, .collection) = SimulatorRoute(path: request.path)
        else { return }
        state.withLock { state in
            state.listRequests += 1
            guard let pending = state.unserved[accountID] else { return }
            var still: [Int] = []
            for index in pending {
                if request.sequence > state.flips[index].sequence {
                    state.flips[index].servedAt = now
                } else {
                    still.append(index)
                }
            }
            state.unserved[accountID] = still.isEmpty ? nil : still
        }
    }

    // MARK: Routing

    private func handle(_ request: RecordedRequest) -> ServerResponse {
        let route = String(request.path.dropFirst(Self.pathPrefix.count))
        switch (request.method, route) {
        case ("POST", "flip"): return flip(request.body)
        case ("GET", "flips"): return flips()
        case ("GET", "received"): return received(after: Self.queryInt(request.query, "after") ?? 0)
        case ("GET", "stats"): return stats()
        case ("GET", "request-times"): return requestTimes(after: Self.queryInt(request.query, "after") ?? 0)
        case ("POST", "reset"): return reset()
        case ("POST", "read-only"): return readOnly(request.body)
        case ("GET", "begin-verifications"): return beginVerifications()
        default: return Self.reply(404, "{\"error\":\"unknown control request\"}")
        }
    }

    private func flip(_ body: [UInt8]) -> ServerResponse {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let accountID = object["account"] as? String, let connectorID = object["connector"] as? String,
            let status = object["status"] as? String
        else {
            return Self.reply(400, "{\"error\":\"expected {\\\"account\\\", \\\"connector\\\", \\\"status\\\"}\"}")
        }
        let now = Date()
        // Changing the status and reading the request sequence under one lock orders the flip exactly
        // among the list requests.
        let sequence: Int? = simulator.store.state.withLock { simulated in
            guard
                simulated.update(accountID: accountID, connectorID: connectorID, now: now, { $0.status = status })
                    != nil
            else { return nil }
            return simulated.log.total
        }
        guard let sequence else { return Self.reply(404, "{\"error\":\"no such connector\"}") }
        let number = state.withLock { state in
            if state.flips.count >= Self.flipLimit { Self.forgetOldest(&state) }
            let number = (state.flips.last?.number ?? 0) + 1
            state.flips.append(
                Flip(
                    number: number, accountID: accountID, connectorID: connectorID, status: status, flippedAt: now,
                    sequence: sequence))
            state.unserved[accountID, default: []].append(state.flips.count - 1)
            return number
        }
        return Self.reply(200, "{\"flip\":\(number),\"flipped_at\":\(Self.seconds(now))}")
    }

    private static func forgetOldest(_ state: inout State) {
        state.flips.removeAll()
        state.unserved.removeAll()
    }

    private func flips() -> ServerResponse {
        let items = state.withLock { state in
            state.flips.map { flip in
                "{\"flip\":\(flip.number),\"account\":\(JSONText.string(flip.accountID)),"
                    + "\"connector\":\(JSONText.string(flip.connectorID)),\"status\":\(JSONText.string(flip.status)),"
                    + "\"flipped_at\":\(Self.seconds(flip.flippedAt)),"
                    + "\"served_at\":\(flip.servedAt.map(Self.seconds) ?? "null")}"
            }
        }
        return Self.reply(200, "{\"flips\":[" + items.joined(separator: ",") + "]}")
    }

    private func received(after sequence: Int) -> ServerResponse {
        let items = receiver.received.filter { $0.sequence > sequence }.map { request in
            let object = request.jsonObject
            let data = object?["data"] as? [String: Any]
            let connector = (data?["connector"] as? [String: Any])?["id"] as? String
            return "{\"sequence\":\(request.sequence),\"received_at\":\(Self.seconds(request.receivedAt)),"
                + "\"type\":\(JSONText.string(object?["type"] as? String)),"
                + "\"connector\":\(JSONText.string(connector)),"
                + "\"status\":\(JSONText.string(data?["status"] as? String)),"
                + "\"event_id\":\(JSONText.string(request.header("webhook-id")))}"
        }
        return Self.reply(200, "{\"received\":[" + items.joined(separator: ",") + "]}")
    }

    private func stats() -> ServerResponse {
        let (lists, limited) = state.withLock { ($0.listRequests, $0.rateLimited) }
        let dnsQueries = dns.map { ",\"dns_queries\":\($0.queryCount)" } ?? ""
        return Self.reply(
            200,
            "{\"list_requests\":\(lists),\"requests\":\(simulator.requestCount),\"rate_limited\":\(limited),"
                + "\"received\":\(receiver.receivedCount)\(dnsQueries)}")
    }

    private func requestTimes(after count: Int) -> ServerResponse {
        let (total, times) = state.withLock { state in
            let total = state.requestTimesDropped + state.requestTimes.count
            let start = min(max(0, count - state.requestTimesDropped), state.requestTimes.count)
            return (total, state.requestTimes[start...].map { String(format: "%.6f", $0) })
        }
        return Self.reply(200, "{\"total\":\(total),\"times\":[" + times.joined(separator: ",") + "]}")
    }

    private func reset() -> ServerResponse {
        state.withLock { state in
            state.flips.removeAll()
            state.unserved.removeAll()
        }
        receiver.clearReceived()
        return Self.reply(200, "{}")
    }

    private func readOnly(_ body: [UInt8]) -> ServerResponse {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let token = object["token"] as? String
        else {
            return Self.reply(400, "{\"error\":\"expected {\\\"token\\\", \\\"read_only\\\"}\"}")
        }
        simulator.setReadOnly(token, object["read_only"] as? Bool ?? true)
        return Self.reply(200, "{}")
    }

    private func beginVerifications() -> ServerResponse {
        let items = simulator.requests.compactMap { request -> String? in
            guard case .route(let accountID, .beginVerification(let connectorID)) = SimulatorRoute(path: request.path)
            else { return nil }
            let token = SimulatorState.bearerToken(request.header("Authorization"))
            return "{\"sequence\":\(request.sequence),\"account\":\(JSONText.string(accountID)),"
                + "\"connector\":\(JSONText.string(connectorID)),\"token\":\(JSONText.string(token)),"
                + "\"status\":\(request.responseStatus.map(String.init) ?? "null")}"
        }
        return Self.reply(200, "{\"calls\":[" + items.joined(separator: ",") + "]}")
    }

    // MARK: Helpers

    private static func reply(_ status: Int, _ body: String) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// Unix seconds with microseconds, e.g. `1795946400.123456`.
    private static func seconds(_ date: Date) -> String {
        String(format: "%.6f", date.timeIntervalSince1970)
    }

    private static func queryInt(_ query: String?, _ name: String) -> Int? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return Int(parts[1]) }
        }
        return nil
    }
}
