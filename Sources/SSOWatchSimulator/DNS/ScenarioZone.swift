import SSOWatchDNS

/// The DNS side of a `SimulatorScenario` (`ssowatch simulate --dns-zone`, `bench/dns_bench.py`): one zone
/// that holds every seeded connector's email domain (seed the scenario with the apex as its
/// `domainSuffix`), served by a `DNSSimulator`'s nameservers, with the verification record published for
/// every `presentEvery`-th connector and missing for the others.
///
/// ```swift
/// let zone = try #require(ScenarioZone(apex: "example.test", presentEvery: 2))
/// let accounts = SimulatorScenario(accounts: 1, connectorsPerAccount: 1000, domainSuffix: zone.apex).seed(api)
/// let published = zone.publish(accounts, of: api, on: dns)  // 500: connectors 0, 2, 4, …
/// ```
public struct ScenarioZone: Sendable {
    /// The zone apex, e.g. `example.test`.
    public let apex: String
    /// Every how many connectors one has its record (1: all, 0: none).
    public let presentEvery: Int

    /// A zone; `nil` when `apex` is not a domain name (or leaves no room for the connectors' names under
    /// it) or `presentEvery` is negative.
    public init?(apex: String, presentEvery: Int) {
        guard presentEvery >= 0, (try? DNSName(apex)).map({ !$0.labels.isEmpty }) == true,
            (try? DNSName("a100000-c20000.\(apex)")) != nil
        else { return nil }
        self.apex = apex
        self.presentEvery = presentEvery
    }

    /// Whether connector number `position` (counted over every account, in seeding order) has its record.
    public func isPresent(_ position: Int) -> Bool {
        presentEvery > 0 && position % presentEvery == 0
    }

    /// The nameservers of the zone: `ns1.APEX`, `ns2.APEX`, … on the simulator's addresses, in order.
    public func nameservers(on dns: DNSSimulator) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: dns.nameserverAddresses.enumerated().map {
                ("ns\($0.offset + 1).\(apex)", $0.element)
            })
    }

    /// Adds the zone to `dns` and publishes, on every nameserver, the TXT record (`verification.code`, as
    /// `simulator` serves it) of the connectors that `isPresent` picks.
    /// - Returns: how many records were published.
    @discardableResult
    public func publish(
        _ accounts: [SimulatorScenario.Account], of simulator: CloudflareSimulator, on dns: DNSSimulator
    ) -> Int {
        dns.addZone(apex, nameservers: nameservers(on: dns))
        var position = 0
        var published = 0
        for account in accounts {
            for (id, domain) in zip(account.connectorIDs, account.domains) {
                defer { position += 1 }
                guard isPresent(position),
                    let code = simulator.connector(accountID: account.id, id: id)?.verificationCode
                else { continue }
                dns.setTXT(domain, [code])
                published += 1
            }
        }
        return published
    }
}
