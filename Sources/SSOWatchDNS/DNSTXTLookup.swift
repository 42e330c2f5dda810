/// Reads the TXT records of a domain from each of its zone's authoritative nameservers (or from the
/// resolvers in `resolvers` mode): the input of `DNSDiagnosis`.
///
/// Each nameserver is asked directly, with recursion off, trying its addresses in turn until one answers.
/// A CNAME chain is followed within the answer; when it leaves the zone, the target is looked up the same
/// way at its own zone's nameservers (at most `maxAliasDepth` times), which then stand in for the
/// nameservers that gave the alias.
public struct DNSTXTLookup: Sendable {
    /// How many zones a chain of CNAMEs may cross.
    public static let maxAliasDepth = 4
    /// How many CNAMEs are followed inside one answer.
    static let maxChainLength = 8

    /// Finds zones and nameservers, and owns the client and the resolvers.
    public let finder: DNSAuthorityFinder
    /// Whether nameservers or resolvers are asked.
    public let mode: DNSQueryMode

    /// Creates a lookup.
    /// - Parameters:
    ///   - client: the DNS client (its timeout is `dns_timeout`).
    ///   - resolvers: `dns_resolvers`, or `ResolvConf.nameservers(in:)` for `system`.
    ///   - nameserverPort: `dns_port`, the port of the authoritative nameservers.
    ///   - mode: `dns_query`.
    public init(
        client: DNSClient, resolvers: [DNSServerAddress], nameserverPort: Int = 53, mode: DNSQueryMode = .authoritative
    ) {
        self.finder = DNSAuthorityFinder(client: client, resolvers: resolvers, nameserverPort: nameserverPort)
        self.mode = mode
    }

    /// Looks up the TXT records of `domain`. Never throws: what failed is in the report.
    public func lookup(_ domain: DNSName) async -> DNSLookupReport {
        await lookup(domain, depth: 0)
    }

    private func lookup(_ domain: DNSName, depth: Int) async -> DNSLookupReport {
        if mode == .resolvers {
            let outcomes = await ask(finder.resolvers.map { ($0.description, [$0]) }, for: domain, recursion: true)
            return DNSLookupReport(domain: domain, zone: nil, nameservers: outcomes.map(\.outcome))
        }
        let authority: DNSAuthority
        do {
            authority = try await finder.authority(for: domain)
        } catch {
            return DNSLookupReport(domain: domain, zone: nil, nameservers: [], failure: error.reason)
        }
        let targets = authority.nameservers.map { ($0.name.description, $0.addresses) }
        var results = await ask(targets, for: domain, recursion: false)
        // Aliases that leave the zone: the target's own nameservers answer for the nameservers that
        // gave the alias.
        var outcomes: [DNSNameserverOutcome] = []
        var targetReports: [DNSName: DNSLookupReport] = [:]
        for index in results.indices {
            guard let target = results[index].redirect, !target.isWithin(authority.zone) else {
                outcomes.append(results[index].outcome)
                continue
            }
            guard depth + 1 < Self.maxAliasDepth else {
                results[index].outcome.outcome = .failed("CNAME chain to \(target) crosses too many zones")
                outcomes.append(results[index].outcome)
                continue
            }
            if targetReports[target] == nil {
                targetReports[target] = await lookup(target, depth: depth + 1)
            }
            let report = targetReports[target]!
            if let failure = report.failure {
                outcomes.append(
                    DNSNameserverOutcome(
                        nameserver: results[index].outcome.nameserver,
                        outcome: .failed("CNAME to \(target): \(failure)")))
            } else {
                let known = Set(outcomes.map(\.nameserver))
                outcomes += report.nameservers.filter { !known.contains($0.nameserver) }
            }
        }
        return DNSLookupReport(domain: domain, zone: authority.zone, nameservers: outcomes)
    }

    /// One nameserver's outcome, and the alias target its answer ended at without data, if any.
    private struct AskResult: Sendable {
        var outcome: DNSNameserverOutcome
        var redirect: DNSName?
    }

    /// Asks every target at once (a silent nameserver costs one timeout, not one per nameserver); the
    /// results come back sorted by name.
    private func ask(
        _ targets: [(name: String, addresses: [DNSServerAddress])], for domain: DNSName, recursion: Bool
    ) async -> [AskResult] {
        await withTaskGroup(of: AskResult.self) { group in
            for target in targets {
                group.addTask {
                    await self.ask(target.name, addresses: target.addresses, for: domain, recursion: recursion)
                }
            }
            var results: [AskResult] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.outcome.nameserver < $1.outcome.nameserver }
        }
    }

    private func ask(
        _ name: String, addresses: [DNSServerAddress], for domain: DNSName, recursion: Bool
    ) async -> AskResult {
        var failure = "no address for \(name)"
        for address in addresses {
            let answer: DNSMessage
            do {
                answer = try await finder.client.query(domain, type: .txt, server: address, recursionDesired: recursion)
            } catch {
                failure = error.summary
                continue
            }
            guard answer.responseCode == .noError || answer.responseCode == .nameError else {
                failure = "answered \(answer.responseCode)"
                continue
            }
            guard recursion || answer.isAuthoritative || !answer.answers.isEmpty else {
                failure = "not authoritative for the zone (a lame delegation?)"
                continue
            }
            let (values, redirect) = Self.txtValues(in: answer, for: domain)
            return AskResult(
                outcome: DNSNameserverOutcome(nameserver: name, outcome: .answered(txtValues: values)),
                redirect: recursion ? nil : redirect)
        }
        return AskResult(outcome: DNSNameserverOutcome(nameserver: name, outcome: .failed(failure)), redirect: nil)
    }

    /// The joined TXT values of `name` in the answer section, following CNAMEs; when the chain ends at
    /// another name without TXT records, that name is returned too.
    static func txtValues(in answer: DNSMessage, for name: DNSName) -> (values: [String], unresolved: DNSName?) {
        var current = name
        var visited: Set<DNSName> = [name]
        for _ in 0...maxChainLength {
            let values = answer.answers.filter { $0.name == current }.compactMap(\.data.joinedText)
            if !values.isEmpty { return (values, nil) }
            let alias = answer.answers.lazy.compactMap { record -> DNSName? in
                guard record.name == current, case .cname(let target) = record.data else { return nil }
                return target
            }.first
            guard let alias, visited.insert(alias).inserted else { break }
            current = alias
        }
        return ([], current == name ? nil : current)
    }
}
