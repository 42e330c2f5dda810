/// Where the TXT records are read: each authoritative nameserver of the zone, or only the resolvers.
public enum DNSQueryMode: String, Hashable, Sendable {
    /// Ask each of the zone's authoritative nameservers directly, with recursion off (the default): no
    /// resolver cache can hide a fresh record or a fresh fix.
    case authoritative
    /// Ask only the configured resolvers, for hosts that cannot reach other nameservers on port 53.
    case resolvers
}

/// What one nameserver said about the TXT records of the domain.
public struct DNSNameserverOutcome: Hashable, Sendable {
    /// The answer, or why there was none.
    public enum Outcome: Hashable, Sendable {
        /// An authoritative answer: the joined TXT values, empty for NXDOMAIN or no TXT record (NODATA).
        case answered(txtValues: [String])
        /// No usable answer: timed out, SERVFAIL, REFUSED, unreachable, malformed, no address.
        case failed(String)
    }

    /// The nameserver's name (`ns1.example.net`), or a resolver's address in `resolvers` mode.
    public var nameserver: String
    /// What it said.
    public var outcome: Outcome

    /// Creates an outcome.
    public init(nameserver: String, outcome: Outcome) {
        self.nameserver = nameserver
        self.outcome = outcome
    }
}

/// The result of one lookup of a domain's TXT records: one outcome per nameserver, or why no nameserver
/// could be asked at all.
public struct DNSLookupReport: Hashable, Sendable {
    /// The name whose TXT records were looked up.
    public var domain: DNSName
    /// The zone apex the domain belongs to, when found (`nil` in `resolvers` mode).
    public var zone: DNSName?
    /// One outcome per nameserver asked, sorted by nameserver.
    public var nameservers: [DNSNameserverOutcome]
    /// Why the nameservers could not be found (the SOA walk or the NS set failed); `nil` otherwise.
    public var failure: String?

    /// Creates a report.
    public init(domain: DNSName, zone: DNSName?, nameservers: [DNSNameserverOutcome], failure: String? = nil) {
        self.domain = domain
        self.zone = zone
        self.nameservers = nameservers
        self.failure = failure
    }
}

/// Why the authoritative nameservers of a name could not be found.
public struct DNSLookupError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A sentence saying which step failed and why.
    public let reason: String

    /// Creates an error.
    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
