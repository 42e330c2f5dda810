import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchState

/// A connector held by the simulated Cloudflare API.
public struct SimulatedConnector: Sendable, Equatable {
    /// The 32-hex connector id.
    public var id: String
    /// The account the connector belongs to.
    public var accountID: String
    /// The email domain the connector covers.
    public var emailDomain: String
    /// `verification.status`; `nil` leaves the field out of the JSON. Any string is served as is.
    public var status: String?
    /// Whether SSO is enforced.
    public var enabled: Bool
    /// Whether FedRAMP language is shown at login.
    public var useFedrampLanguage: Bool
    /// `verification.code`: `cloudflare_dashboard_sso=<id>`.
    public var verificationCode: String
    /// Creation time.
    public var createdOn: Date
    /// Last change of any field.
    public var updatedOn: Date
    /// When set, the exact JSON served for this connector instead of the fields above.
    public var rawJSON: String?

    /// The connector's JSON as the API serves it.
    var json: String {
        if let rawJSON { return rawJSON }
        var verification = "{\"code\":" + JSONText.string(verificationCode)
        if let status { verification += ",\"status\":" + JSONText.string(status) }
        verification += "}"
        return "{\"id\":\(JSONText.string(id)),\"email_domain\":\(JSONText.string(emailDomain)),"
            + "\"enabled\":\(enabled),\"created_on\":\"\(CloudflareTimestamp.string(createdOn))\","
            + "\"updated_on\":\"\(CloudflareTimestamp.string(updatedOn))\","
            + "\"use_fedramp_language\":\(useFedrampLanguage),\"verification\":\(verification)}"
    }
}

/// An account: the tokens allowed to use it and its connectors in creation order, with the list's JSON
/// cached so that serving a list costs a lookup (benchmarks poll thousands of accounts).
struct SimulatedAccount {
    var tokens: Set<String> = []
    private(set) var connectors: [String: SimulatedConnector] = [:]
    private var order: [String] = []
    private var listJSON: String?
    /// Overrides `result_info.total_count` in list responses.
    var reportedTotalCount: Int?

    var orderedConnectors: [SimulatedConnector] { order.compactMap { connectors[$0] } }

    var count: Int { order.count }

    func hasDomain(_ domain: String) -> Bool {
        connectors.values.contains { $0.emailDomain.caseInsensitiveCompare(domain) == .orderedSame }
    }

    /// Adds `connector`, or replaces the one with its id.
    mutating func insert(_ connector: SimulatedConnector) {
        if connectors.updateValue(connector, forKey: connector.id) == nil { order.append(connector.id) }
        listJSON = nil
    }

    mutating func remove(_ id: String) -> SimulatedConnector? {
        guard let removed = connectors.removeValue(forKey: id) else { return nil }
        order.removeAll { $0 == id }
        listJSON = nil
        return removed
    }

    /// Applies `change` to a connector in place; returns the changed connector, or nil if there is none.
    mutating func modify(_ id: String, _ change: (inout SimulatedConnector) -> Void) -> SimulatedConnector? {
        guard connectors[id] != nil else { return nil }
        change(&connectors[id]!)
        listJSON = nil
        return connectors[id]
    }

    /// The JSON array of every connector, in creation order.
    mutating func resultArrayJSON() -> String {
        if let listJSON { return listJSON }
        let array = "[" + order.compactMap { connectors[$0]?.json }.joined(separator: ",") + "]"
        listJSON = array
        return array
    }
}

/// Cloudflare's token rate limit: `quota` requests per `window`, counted in fixed windows per token.
public struct RateLimitPolicy: Sendable, Equatable {
    /// Requests allowed per window (Cloudflare: 1200).
    public var quota: Int
    /// Window length in seconds (Cloudflare: 300).
    public var windowSeconds: Int
    /// When true, requests beyond the quota get HTTP 429 until the window ends; when false the
    /// headers are still sent but nothing is refused.
    public var enforced: Bool

    /// Creates a policy; the defaults are Cloudflare's, not enforced.
    public init(quota: Int = 1200, windowSeconds: Int = 300, enforced: Bool = false) {
        self.quota = quota
        self.windowSeconds = windowSeconds
        self.enforced = enforced
    }
}

/// Everything the simulated API knows; lives behind the simulator's mutex.
struct SimulatorState {
    struct RateWindow {
        var start: ContinuousClock.Instant
        var count: Int
    }

    var accounts: [String: SimulatedAccount] = [:]
    /// Tokens that may read but not write ("SSO Connector Read" without "Write"): their POST, PATCH and
    /// DELETE requests get Cloudflare's 403.
    var readOnlyTokens: Set<String> = []
    var faults: [FaultEntry] = []
    var log = RequestLog()
    var rateLimit = RateLimitPolicy()
    var rateWindows: [String: RateWindow] = [:]
    var ids = DeterministicIDs(seed: 0x5350_4D55_4C41_5445)
    var scheduled: [Int: Task<Void, Never>] = [:]
    var nextScheduleID = 0

    /// Takes the first queued fault that applies to `accountID`, if any.
    mutating func takeFault(accountID: String?) -> Fault? {
        guard let index = faults.firstIndex(where: { $0.accountID == nil || $0.accountID == accountID }) else {
            return nil
        }
        let fault = faults[index].fault
        faults[index].remaining -= 1
        if faults[index].remaining <= 0 { faults.remove(at: index) }
        return fault
    }

    /// The rate-limit headers of one response and whether its token is over quota.
    struct RateStatus {
        var headers: [(String, String)]
        var overQuota: Bool
        var resetSeconds: Int
    }

    /// Counts one request for `token` (the empty string for requests without one).
    mutating func countRequest(token: String, now: ContinuousClock.Instant) -> RateStatus {
        let window = Duration.seconds(rateLimit.windowSeconds)
        var current = rateWindows[token] ?? RateWindow(start: now, count: 0)
        if now - current.start >= window { current = RateWindow(start: now, count: 0) }
        current.count += 1
        rateWindows[token] = current
        let remaining = max(0, rateLimit.quota - current.count)
        let reset = max(0, Int((((current.start + window) - now) / .seconds(1)).rounded(.up)))
        let headers = [
            ("Ratelimit", "\"default\";r=\(remaining);t=\(reset)"),
            ("Ratelimit-Policy", "\"burst\";q=\(rateLimit.quota);w=\(rateLimit.windowSeconds)"),
        ]
        return RateStatus(headers: headers, overQuota: current.count > rateLimit.quota, resetSeconds: reset)
    }

    mutating func makeConnector(
        accountID: String, domain: String, status: String?, enabled: Bool, useFedrampLanguage: Bool = false,
        id: String? = nil, now: Date
    ) -> SimulatedConnector {
        let id = id ?? ids.next()
        return SimulatedConnector(
            id: id, accountID: accountID, emailDomain: domain, status: status, enabled: enabled,
            useFedrampLanguage: useFedrampLanguage, verificationCode: "cloudflare_dashboard_sso=\(id)",
            createdOn: now, updatedOn: now, rawJSON: nil)
    }

    /// Applies `change` to a connector and stamps `updated_on`; returns the result, nil if there is none.
    @discardableResult
    mutating func update(
        accountID: String, connectorID: String, now: Date, _ change: (inout SimulatedConnector) -> Void
    ) -> SimulatedConnector? {
        accounts[accountID]?.modify(connectorID) { connector in
            change(&connector)
            connector.updatedOn = now
        }
    }
}

/// Deterministic 32-hex ids from SplitMix64, so seeded scenarios and golden outputs are reproducible.
struct DeterministicIDs {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64's output function: a bijection on `UInt64`, so distinct inputs give distinct ids.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A 32-hex id whose first half is unique for each `value`.
    static func hexID(_ value: UInt64) -> String {
        hex16(mix(value)) + hex16(mix(~value))
    }

    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    mutating func next() -> String {
        state &+= 1
        return Self.hexID(state)
    }
}
