import Foundation
import SSOWatchDNS

/// The `dns_*` keys of `[daemon]`: how ssowatch checks each connector's TXT record on the domain's own
/// nameservers (docs/DNS.md).
public struct DNSCheckConfig: Sendable, Hashable {
    /// Where the zone and its nameservers are looked up.
    public enum Resolvers: Sendable, Hashable {
        /// The `nameserver` lines of `/etc/resolv.conf`.
        case system
        /// The addresses given in `dns_resolvers`, in order.
        case servers([DNSServerAddress])
    }

    /// Whom the TXT record is asked of.
    public enum Query: String, Sendable, Hashable, CaseIterable {
        /// Each of the zone's authoritative nameservers, directly.
        case authoritative
        /// Only the resolvers (for hosts that may not reach other nameservers).
        case resolvers
    }

    /// `dns_check`.
    public var enabled = true
    /// `dns_resolvers`.
    public var resolvers = Resolvers.system
    /// `dns_query`.
    public var query = Query.authoritative
    /// `dns_check_interval`: how often a connector that stays awaiting, pending or failed is checked again.
    public var interval: TimeInterval = 600
    /// `dns_timeout`: one UDP or TCP exchange with one server.
    public var timeout: TimeInterval = 3
    /// `dns_port`: the port of the authoritative nameservers.
    public var port = 53

    /// The defaults of docs/CONFIGURATION.md.
    public init() {}
}
