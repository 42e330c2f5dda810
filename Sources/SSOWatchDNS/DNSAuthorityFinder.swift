/// A zone and its authoritative nameservers with their addresses.
public struct DNSAuthority: Hashable, Sendable {
    /// One authoritative nameserver.
    public struct Nameserver: Hashable, Sendable {
        /// Its name, from the zone's NS set.
        public var name: DNSName
        /// Its addresses (IPv4 first) on the authoritative port; empty when none could be resolved.
        public var addresses: [DNSServerAddress]

        /// Creates a nameserver entry.
        public init(name: DNSName, addresses: [DNSServerAddress]) {
            self.name = name
            self.addresses = addresses
        }
    }

    /// The zone apex.
    public var zone: DNSName
    /// The NS set, sorted by name.
    public var nameservers: [Nameserver]

    /// Creates an authority.
    public init(zone: DNSName, nameservers: [Nameserver]) {
        self.zone = zone
        self.nameservers = nameservers
    }
}

/// Finds the zone of a name and its authoritative nameservers through the configured resolvers.
///
/// The zone apex comes from an SOA walk: ask for the name's SOA; an SOA owned by the name, or an SOA in
/// the authority section of a negative answer, names the apex; otherwise (a CNAME, an empty answer) ask
/// again one label up. Then the apex's NS set, then each nameserver's A and AAAA records.
public struct DNSAuthorityFinder: Sendable {
    /// The client every query goes through.
    public let client: DNSClient
    /// The resolvers, asked in order until one answers.
    public let resolvers: [DNSServerAddress]
    /// The port of the authoritative nameservers (`dns_port`).
    public let nameserverPort: Int

    /// Creates a finder.
    public init(client: DNSClient, resolvers: [DNSServerAddress], nameserverPort: Int = 53) {
        self.client = client
        self.resolvers = resolvers
        self.nameserverPort = nameserverPort
    }

    /// The zone apex `name` belongs to.
    /// - Throws: `DNSLookupError` when the resolvers fail or no SOA turns up before the root.
    public func zoneApex(of name: DNSName) async throws(DNSLookupError) -> DNSName {
        var candidate = name
        while true {
            let answer = try await askResolvers(candidate, type: .soa)
            if answer.answers.contains(where: { $0.type == .soa && $0.name == candidate }) {
                return candidate
            }
            if let soa = answer.authority.first(where: { $0.type == .soa }), candidate.isWithin(soa.name),
                soa.name != .root
            {
                return soa.name
            }
            guard let parent = candidate.parent, parent != .root else {
                throw DNSLookupError("no zone found for \(name): no SOA record up to the top-level domain")
            }
            candidate = parent
        }
    }

    /// The zone of `name` with its nameservers and their addresses.
    /// - Throws: `DNSLookupError` when the zone or its NS set cannot be found.
    public func authority(for name: DNSName) async throws(DNSLookupError) -> DNSAuthority {
        let zone = try await zoneApex(of: name)
        let answer = try await askResolvers(zone, type: .ns)
        var names: [DNSName] = []
        for record in answer.answers where record.name == zone {
            if case .ns(let nameserver) = record.data, !names.contains(nameserver) { names.append(nameserver) }
        }
        guard !names.isEmpty else { throw DNSLookupError("the zone \(zone) has no NS records") }
        names.sort { $0.description.lowercased() < $1.description.lowercased() }
        var nameservers: [DNSAuthority.Nameserver] = []
        for nameserver in names {
            let glue = Self.addresses(of: nameserver, in: answer.additional, port: nameserverPort)
            let addresses = glue.isEmpty ? await resolveAddresses(of: nameserver) : glue
            nameservers.append(DNSAuthority.Nameserver(name: nameserver, addresses: addresses))
        }
        return DNSAuthority(zone: zone, nameservers: nameservers)
    }

    /// Asks the resolvers in order, with recursion, until one gives NOERROR or NXDOMAIN.
    /// - Throws: `DNSLookupError` listing what each resolver did.
    public func askResolvers(_ name: DNSName, type: DNSRecordType) async throws(DNSLookupError) -> DNSMessage {
        guard !resolvers.isEmpty else { throw DNSLookupError("no resolvers configured to ask \(name) \(type)") }
        var failures: [String] = []
        for resolver in resolvers {
            do {
                let answer = try await client.query(name, type: type, server: resolver, recursionDesired: true)
                if answer.responseCode == .noError || answer.responseCode == .nameError { return answer }
                failures.append("\(resolver) answered \(answer.responseCode)")
            } catch {
                failures.append("\(resolver) \(error.summary)")
            }
        }
        throw DNSLookupError("the resolvers could not answer \(name) \(type): \(failures.joined(separator: "; "))")
    }

    /// A and AAAA through the resolvers; a failed lookup just adds no address.
    private func resolveAddresses(of nameserver: DNSName) async -> [DNSServerAddress] {
        var addresses: [DNSServerAddress] = []
        for type in [DNSRecordType.a, .aaaa] {
            if let answer = try? await askResolvers(nameserver, type: type) {
                addresses += Self.addresses(of: nil, in: answer.answers, port: nameserverPort)
            }
        }
        return addresses
    }

    /// The A then AAAA addresses among `records`, owned by `owner` (any owner when `nil`: an answer may
    /// reach them through a CNAME).
    static func addresses(of owner: DNSName?, in records: [DNSResourceRecord], port: Int) -> [DNSServerAddress] {
        var v4: [DNSServerAddress] = []
        var v6: [DNSServerAddress] = []
        for record in records where owner == nil || record.name == owner {
            switch record.data {
            case .a(let bytes): if let address = try? DNSServerAddress(packed: bytes, port: port) { v4.append(address) }
            case .aaaa(let bytes):
                if let address = try? DNSServerAddress(packed: bytes, port: port) { v6.append(address) }
            default: break
            }
        }
        return v4 + v6
    }
}
