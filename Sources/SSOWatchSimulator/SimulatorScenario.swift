import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchState
/// Seeds a `CloudflareSimulator` with N accounts × M connectors whose ids, tokens and domains are
/// deterministic, for the demo and the benchmark.
public struct SimulatorScenario: Sendable {
    /// One seeded account.
    public struct Account: Sendable, Equatable {
        /// The 32-hex account id.
        public var id: String
        /// The token registered for it (shared by `accountsPerToken` consecutive accounts).
        public var token: String
        /// Its connectors' ids, in creation order.
        public var connectorIDs: [String]
        /// Its connectors' email domains, in the same order.
        public var domains: [String]
    }

    /// How many accounts to create.
    public var accountCount: Int
    /// Connectors per account.
    public var connectorsPerAccount: Int
    /// How many consecutive accounts share one token (1: a token per account).
    public var accountsPerToken: Int
    /// Statuses given to the connectors of each account in turn, cycling (e.g. `["verified", "pending"]`).
    public var statuses: [String]
    /// Parent domain of the generated email domains.
    public var domainSuffix: String

    /// Describes a scenario; nothing is created until `seed(_:)`.
    public init(
        accounts: Int, connectorsPerAccount: Int, accountsPerToken: Int = 1, statuses: [String] = ["pending"],
        domainSuffix: String = "example.com"
    ) {
        accountCount = accounts
        self.connectorsPerAccount = connectorsPerAccount
        self.accountsPerToken = max(1, accountsPerToken)
        self.statuses = statuses.isEmpty ? ["pending"] : statuses
        self.domainSuffix = domainSuffix
    }

    /// Creates the accounts, tokens and connectors in `simulator` and returns them in order.
    @discardableResult
    public func seed(_ simulator: CloudflareSimulator) -> [Account] {
        (0..<accountCount).map { index in
            let account = Self.account(
                index, connectors: connectorsPerAccount, accountsPerToken: accountsPerToken,
                domainSuffix: domainSuffix)
            simulator.addAccount(id: account.id, token: account.token)
            for (position, (id, domain)) in zip(account.connectorIDs, account.domains).enumerated() {
                simulator.addConnector(
                    accountID: account.id, domain: domain, status: statuses[position % statuses.count], id: id)
            }
            return account
        }
    }

    /// The deterministic ids, token and domains of account number `index` (without touching a simulator).
    public static func account(
        _ index: Int, connectors: Int, accountsPerToken: Int = 1, domainSuffix: String = "example.com"
    ) -> Account {
        let id = accountID(index)
        let connectorIDs = (0..<connectors).map { connectorID(account: index, index: $0) }
        let domains = (0..<connectors).map { "a\(index)-c\($0).\(domainSuffix)" }
        return Account(
            id: id, token: token(index / max(1, accountsPerToken)), connectorIDs: connectorIDs,
            domains: domains)
    }

    /// The 32-hex id of account number `index`.
    public static func accountID(_ index: Int) -> String {
        DeterministicIDs.hexID(0xACC0_0000_0000_0000 | UInt64(truncatingIfNeeded: index))
    }

    /// The 32-hex id of connector `index` of account `account`.
    public static func connectorID(account: Int, index: Int) -> String {
        DeterministicIDs.hexID(
            0xC000_0000_0000_0000 | UInt64(truncatingIfNeeded: account) << 20
                | UInt64(truncatingIfNeeded: index))
    }

    /// Token number `index`, in the style of Cloudflare's 2026 user tokens.
    public static func token(_ index: Int) -> String {
        "cfut_sim" + DeterministicIDs.hex16(DeterministicIDs.mix(0x70CE_0000_0000_0000 | UInt64(index)))
    }
}
