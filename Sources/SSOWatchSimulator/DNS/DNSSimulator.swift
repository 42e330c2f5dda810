import NIOCore
import NIOPosix
import SSOWatchDNS
import Synchronization

/// Simulated DNS for tests and the demo: authoritative nameservers on loopback addresses (127.0.0.2,
/// 127.0.0.3, …) and a resolver view (127.0.0.1), each over UDP and TCP, all on one free high port.
///
/// A test adds zones and records, then points the code under test at `resolver` with `port` as the
/// nameserver port (`dns_port`). Faults and delays apply per server address, to every zone it serves:
///
/// ```swift
/// let dns = try await DNSSimulator.start()
/// dns.addZone("example.test", nameservers: ["ns1.example.test": "127.0.0.2", "ns2.example.test": "127.0.0.3"])
/// dns.setTXT("example.test", ["cloudflare_dashboard_sso=…"], on: "ns1.example.test")
/// dns.setFault(.drop, on: "ns2.example.test")
/// // … DNSTXTLookup(client:resolvers: [dns.resolver], nameserverPort: dns.port) …
/// await dns.shutdown()
/// ```
public final class DNSSimulator: Sendable {
    /// Something a server does instead of answering normally.
    public enum Fault: Hashable, Sendable {
        /// Never answer (UDP or TCP).
        case drop
        /// Answer SERVFAIL.
        case serverFailure
        /// Answer REFUSED.
        case refused
        /// Over UDP answer with TC=1 and no records; over TCP answer in full.
        case truncateOverUDP
        /// Over UDP answer with TC=1 (so clients come over TCP); over TCP send the length and half the
        /// answer, then stall with the connection open.
        case stallOverTCP
        /// Send a SERVFAIL with a wrong id first, then the real answer.
        case wrongIDFirst
        /// Over UDP send the answer from the resolver view's address instead of this server's.
        case answerFromAnotherAddress
    }

    /// One query a server received, for assertions.
    public struct LoggedQuery: Hashable, Sendable {
        /// The address of the server that received it.
        public var server: String
        /// What was asked.
        public var question: DNSQuestion
        /// Whether it came over TCP.
        public var overTCP: Bool
    }

    /// The port every server listens on, UDP and TCP.
    public let port: Int
    /// The addresses of the authoritative servers.
    public let nameserverAddresses: [String]
    /// The resolver view, to pass as `dns_resolvers`.
    public let resolver: DNSServerAddress
    private let store: DNSSimulatorStore
    private let servers: DNSSimulatorServers

    private init(
        port: Int, nameserverAddresses: [String], resolver: DNSServerAddress, store: DNSSimulatorStore,
        servers: DNSSimulatorServers
    ) {
        self.port = port
        self.nameserverAddresses = nameserverAddresses
        self.resolver = resolver
        self.store = store
        self.servers = servers
    }

    /// Binds the resolver view and the nameservers (UDP and TCP) on one free port and starts serving.
    /// - Parameters:
    ///   - nameserverAddresses: loopback addresses for the authoritative servers (all of 127/8 is local
    ///     on Linux).
    ///   - resolverAddress: the loopback address of the resolver view.
    ///   - group: where the sockets live.
    public static func start(
        nameserverAddresses: [String] = ["127.0.0.2", "127.0.0.3"], resolverAddress: String = "127.0.0.1",
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> DNSSimulator {
        let store = DNSSimulatorStore(DNSSimulatorState(resolverAddress: resolverAddress))
        let servers = DNSSimulatorServers(group: group)
        let port = try await servers.bind(addresses: [resolverAddress] + nameserverAddresses) {
            bytes, address, overTCP in
            store.state.withLock { $0.action(for: bytes, at: address, overTCP: overTCP) }
        }
        return DNSSimulator(
            port: port, nameserverAddresses: nameserverAddresses,
            resolver: try DNSServerAddress(host: resolverAddress, port: port), store: store, servers: servers)
    }

    /// Adds a zone served by `nameservers` (name → address, one of `nameserverAddresses`); the resolver view
    /// and those servers answer its SOA, its NS set and the nameservers' A records.
    public func addZone(_ apex: String, nameservers: [String: String]) {
        let zone = DNSSimulatorState.Zone(
            apex: Self.name(apex),
            nameservers: nameservers.sorted { $0.key < $1.key }.map { (Self.name($0.key), $0.value) })
        store.state.withLock { $0.zones.append(zone) }
    }

    /// Replaces the TXT records of `name` with `values` (one record each, split into 255-byte strings)
    /// on `nameserver` (a name or an address), or on every nameserver of the zone when `nil`.
    public func setTXT(_ name: String, _ values: [String], on nameserver: String? = nil) {
        let data = values.map { value in
            let bytes = Array(value.utf8)
            let strings = stride(from: 0, to: max(bytes.count, 1), by: 255).map {
                Array(bytes[$0..<min($0 + 255, bytes.count)])
            }
            return DNSRecordData.txt(strings)
        }
        edit(name, on: nameserver) { existing in existing.filter { $0.recordType != .txt } + data }
    }

    /// Replaces the TXT records of `name` with records of explicit character-strings (each at most 255
    /// bytes), to serve a record split the way a user or a provider split it.
    public func setTXTStrings(_ name: String, _ records: [[String]], on nameserver: String? = nil) {
        let data = records.map { DNSRecordData.txt($0.map { Array($0.utf8) }) }
        edit(name, on: nameserver) { existing in existing.filter { $0.recordType != .txt } + data }
    }

    /// Removes the TXT records of `name`.
    public func removeTXT(_ name: String, on nameserver: String? = nil) {
        edit(name, on: nameserver) { $0.filter { $0.recordType != .txt } }
    }

    /// Makes `name` an alias of `target` (replacing its other records), or removes the alias when `nil`.
    public func setCNAME(_ name: String, target: String?, on nameserver: String? = nil) {
        edit(name, on: nameserver) { _ in target.map { [.cname(Self.name($0))] } ?? [] }
    }

    /// Sets (or clears, with `nil`) the fault of the server at `server` (a nameserver name or an address).
    public func setFault(_ fault: Fault?, on server: String) {
        store.state.withLock { state in
            for address in Self.addresses(of: server, in: state) { state.faults[address] = fault }
        }
    }

    /// Delays every answer of `server` by `delay` (`nil`: answer at once).
    public func setDelay(_ delay: Duration?, on server: String) {
        store.state.withLock { state in
            for address in Self.addresses(of: server, in: state) { state.delays[address] = delay }
        }
    }

    /// The queries received so far, in order.
    public var queries: [LoggedQuery] {
        store.state.withLock { $0.log }
    }

    /// How many queries were received so far (cheaper than `queries.count`).
    public var queryCount: Int {
        store.state.withLock { $0.log.count }
    }

    /// Closes every socket, including TCP connections left stalled.
    public func shutdown() async {
        await servers.shutdown()
    }

    private func edit(_ name: String, on nameserver: String?, _ change: ([DNSRecordData]) -> [DNSRecordData]) {
        let owner = Self.name(name)
        store.state.withLock { state in
            for index in state.zones.indices where owner.isWithin(state.zones[index].apex) {
                let addresses =
                    nameserver.map { Self.addresses(of: $0, in: state) }
                    ?? state.zones[index].nameservers.map(\.address)
                for address in addresses where state.zones[index].nameservers.contains(where: { $0.address == address })
                {
                    let records = change(state.zones[index].records[address]?[owner] ?? [])
                    state.zones[index].records[address, default: [:]][owner] = records.isEmpty ? nil : records
                }
            }
        }
    }

    private static func addresses(of server: String, in state: DNSSimulatorState) -> [String] {
        if DNSSimulatorState.ipv4Bytes(server) != nil { return [server] }
        let wanted = name(server)
        return Array(Set(state.zones.flatMap(\.nameservers).filter { $0.name == wanted }.map(\.address)))
    }

    /// Test input is trusted: a name that does not parse is a mistake in the test.
    private static func name(_ text: String) -> DNSName {
        do {
            return try DNSName(text)
        } catch {
            preconditionFailure("DNSSimulator: \"\(text)\" is not a domain name: \(error)")
        }
    }
}

/// The simulator's state behind its lock, shared by the control methods and the servers' handlers.
private final class DNSSimulatorStore: Sendable {
    let state: Mutex<DNSSimulatorState>

    init(_ initial: DNSSimulatorState) {
        state = Mutex(initial)
    }
}
