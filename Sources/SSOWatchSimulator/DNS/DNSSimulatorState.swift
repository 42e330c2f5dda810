import SSOWatchDNS

/// What a simulated server does with one query.
enum DNSSimulatorAction: Sendable, Equatable {
    /// Nothing: the client waits until its deadline.
    case drop
    /// Send `answer` after `delay`; first send `decoy` (a SERVFAIL with another id) when given. Over UDP,
    /// `from` names another address whose socket sends it (a spoofed or misrouted answer).
    case reply([UInt8], delay: Duration?, decoy: [UInt8]?, from: String? = nil)
    /// Over TCP: send the length prefix and the first half of `answer`, then nothing, connection open.
    case stall([UInt8])
}

/// The zones, records and faults of a `DNSSimulator`, and the pure function that answers a query.
struct DNSSimulatorState {
    struct Zone {
        var apex: DNSName
        /// Nameserver names and addresses, in the order given.
        var nameservers: [(name: DNSName, address: String)]
        /// TXT and CNAME data as each nameserver (by address) has it.
        var records: [String: [DNSName: [DNSRecordData]]] = [:]
    }

    var zones: [Zone] = []
    var faults: [String: DNSSimulator.Fault] = [:]
    var delays: [String: Duration] = [:]
    var log: [DNSSimulator.LoggedQuery] = []
    let resolverAddress: String

    init(resolverAddress: String) {
        self.resolverAddress = resolverAddress
    }

    /// The zone served at `address` that holds `name` most specifically; any zone for the resolver.
    private func zone(for name: DNSName, at address: String?) -> Int? {
        zones.indices.filter { index in
            name.isWithin(zones[index].apex)
                && (address == nil || zones[index].nameservers.contains { $0.address == address })
        }.max { zones[$0].apex.labels.count < zones[$1].apex.labels.count }
    }

    mutating func action(for bytes: [UInt8], at address: String, overTCP: Bool) -> DNSSimulatorAction {
        guard let query = try? DNSMessage.decode(bytes), !query.isResponse, let question = query.questions.first else {
            return .drop
        }
        log.append(DNSSimulator.LoggedQuery(server: address, question: question, overTCP: overTCP))
        var answer = DNSMessage(
            id: query.id, isResponse: true, recursionDesired: query.recursionDesired, questions: [question],
            edns: query.edns.map { _ in DNSEDNS() })
        let fault = faults[address]
        switch fault {
        case .drop?:
            return .drop
        case .serverFailure?:
            answer.responseCode = .serverFailure
        case .refused?:
            answer.responseCode = .refused
        default:
            if address == resolverAddress {
                resolve(question, into: &answer)
            } else {
                answerAuthoritatively(question, at: address, into: &answer)
            }
        }
        let limit = Int(query.edns?.udpPayloadSize ?? 512)
        guard var encoded = try? answer.encode() else { return .drop }
        if !overTCP && (fault == .truncateOverUDP || fault == .stallOverTCP || encoded.count > max(limit, 512)) {
            answer.answers = []
            answer.authority = []
            answer.additional = []
            answer.isTruncated = true
            encoded = (try? answer.encode()) ?? []
        }
        if overTCP && fault == .stallOverTCP {
            return .stall(encoded)
        }
        var decoy: [UInt8]?
        if fault == .wrongIDFirst {
            // Unlike the real answer in every way a client could notice, so accepting it shows.
            var spoof = DNSMessage(id: query.id ^ 0x5A5A, isResponse: true, responseCode: .serverFailure)
            spoof.questions = [question]
            decoy = try? spoof.encode()
        }
        let from = fault == .answerFromAnotherAddress && !overTCP ? resolverAddress : nil
        return .reply(encoded, delay: delays[address], decoy: decoy, from: from)
    }

    /// Answers as the authoritative server at `address`: REFUSED outside its zones, AA set.
    func answerAuthoritatively(_ question: DNSQuestion, at address: String, into answer: inout DNSMessage) {
        guard let zoneIndex = zone(for: question.name, at: address) else {
            answer.responseCode = .refused
            return
        }
        answer.isAuthoritative = true
        let zone = zones[zoneIndex]
        var current = question.name
        for _ in 0..<8 {
            let records = self.records(named: current, in: zone, at: address)
            if question.type != .cname, let alias = records.first(where: { $0.type == .cname }),
                case .cname(let target) = alias.data
            {
                answer.answers.append(alias)
                guard target.isWithin(zone.apex) else { return }
                current = target
                continue
            }
            answer.answers += records.filter { $0.type == question.type }
            break
        }
        if answer.answers.isEmpty || answer.answers.last?.type == .cname {
            if !exists(current, in: zone, at: address) { answer.responseCode = .nameError }
            answer.authority = self.records(named: zone.apex, in: zone, at: address).filter { $0.type == .soa }
        }
    }

    /// Answers as a recursive resolver: the zone's first nameserver's view, chasing CNAMEs across zones.
    func resolve(_ question: DNSQuestion, into answer: inout DNSMessage) {
        answer.recursionAvailable = true
        var current = question
        for _ in 0..<4 {
            guard let zoneIndex = zone(for: current.name, at: nil), let primary = zones[zoneIndex].nameservers.first
            else {
                if answer.answers.isEmpty { answer.responseCode = .nameError }
                return
            }
            var step = DNSMessage(id: answer.id)
            answerAuthoritatively(current, at: primary.address, into: &step)
            answer.answers += step.answers
            answer.authority = step.authority
            answer.responseCode = step.responseCode
            guard let last = step.answers.last, case .cname(let target) = last.data, question.type != .cname,
                !target.isWithin(zones[zoneIndex].apex)
            else { return }
            current = DNSQuestion(name: target, type: question.type)
        }
    }

    private func records(named name: DNSName, in zone: Zone, at address: String) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        if name == zone.apex {
            let primary = zone.nameservers.first?.name ?? zone.apex
            let mailbox = (try? DNSName(labels: [Array("hostmaster".utf8)] + zone.apex.labels)) ?? zone.apex
            records.append(
                DNSResourceRecord(
                    name: name, data: .soa(DNSSOA(primaryNameserver: primary, responsibleMailbox: mailbox, serial: 1))))
            records += zone.nameservers.map { DNSResourceRecord(name: name, data: .ns($0.name)) }
        }
        // Nameservers' addresses, wherever their names are listed (a provider's nameserver may serve
        // several zones).
        var addressed: Set<String> = []
        for nameserver in zones.flatMap(\.nameservers)
        where nameserver.name == name && addressed.insert(nameserver.address).inserted {
            if let bytes = Self.ipv4Bytes(nameserver.address) {
                records.append(DNSResourceRecord(name: name, data: .a(bytes)))
            }
        }
        records += (zone.records[address]?[name] ?? []).map { DNSResourceRecord(name: name, data: $0) }
        return records
    }

    private func exists(_ name: DNSName, in zone: Zone, at address: String) -> Bool {
        if !records(named: name, in: zone, at: address).isEmpty { return true }
        // An empty non-terminal: a name above some record's owner.
        let owners = (zone.records[address] ?? [:]).keys + zone.nameservers.map(\.name)
        return owners.contains { $0.isWithin(name) }
    }

    static func ipv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 ? parts : nil
    }
}
