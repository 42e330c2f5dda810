/// The fields of an SOA record (RFC 1035 §3.3.13).
public struct DNSSOA: Hashable, Sendable {
    /// The primary nameserver of the zone.
    public var primaryNameserver: DNSName
    /// The mailbox of the person responsible, as a name (`hostmaster.example.com`).
    public var responsibleMailbox: DNSName
    /// The zone's version number.
    public var serial: UInt32
    /// Seconds between refreshes by secondaries.
    public var refresh: UInt32
    /// Seconds between retries of a failed refresh.
    public var retry: UInt32
    /// Seconds after which a secondary stops answering without a refresh.
    public var expire: UInt32
    /// The TTL of negative answers (RFC 2308).
    public var minimum: UInt32

    /// Creates SOA data.
    public init(
        primaryNameserver: DNSName, responsibleMailbox: DNSName, serial: UInt32, refresh: UInt32 = 3600,
        retry: UInt32 = 600, expire: UInt32 = 86400, minimum: UInt32 = 300
    ) {
        self.primaryNameserver = primaryNameserver
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The data of a resource record, decoded for the types this project reads and kept raw otherwise.
public enum DNSRecordData: Hashable, Sendable {
    /// An IPv4 address, 4 bytes in network order.
    case a([UInt8])
    /// An IPv6 address, 16 bytes in network order.
    case aaaa([UInt8])
    /// A nameserver's name.
    case ns(DNSName)
    /// The canonical name an alias points to.
    case cname(DNSName)
    /// Start of authority.
    case soa(DNSSOA)
    /// The character-strings of a TXT record, in order, each at most 255 bytes.
    case txt([[UInt8]])
    /// Any other type, as its raw bytes (names inside are not decompressed, per RFC 3597).
    case unknown([UInt8])

    /// The TXT record's character-strings joined into one text, the way Cloudflare and most verifiers
    /// read a multi-string record; `nil` for other types. Bytes that are not UTF-8 become U+FFFD.
    public var joinedText: String? {
        guard case .txt(let strings) = self else { return nil }
        return Self.join(strings)
    }

    /// The record type this data belongs to, or `nil` for raw data of any type.
    public var recordType: DNSRecordType? {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .soa: .soa
        case .txt: .txt
        case .unknown: nil
        }
    }

    /// Concatenates TXT character-strings without separators and decodes them as UTF-8.
    public static func join(_ strings: [[UInt8]]) -> String {
        String(decoding: strings.joined(), as: UTF8.self)
    }
}

/// One resource record of the answer, authority or additional section (not the OPT pseudo-record,
/// which `DNSMessage.edns` holds).
public struct DNSResourceRecord: Hashable, Sendable {
    /// The owner name.
    public var name: DNSName
    /// The type, which decides how `data` was decoded.
    public var type: DNSRecordType
    /// The class, almost always `IN` (1).
    public var recordClass: UInt16
    /// Seconds the record may be cached.
    public var ttl: UInt32
    /// The decoded data.
    public var data: DNSRecordData

    /// Creates an `IN` record whose type follows from `data` (type 0 for `unknown` data: use the other
    /// initializer for those).
    public init(name: DNSName, ttl: UInt32 = 300, data: DNSRecordData) {
        let type = data.recordType ?? DNSRecordType(rawValue: 0)
        self.init(name: name, type: type, recordClass: DNSQuestion.internetClass, ttl: ttl, data: data)
    }

    /// Creates a record with every field given.
    public init(name: DNSName, type: DNSRecordType, recordClass: UInt16, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}

extension DNSResourceRecord {
    /// Decodes the record data of `type`, which occupies exactly `length` bytes at the reader's position.
    static func decodeData(
        type: DNSRecordType, length: Int, from reader: inout DNSWireReader
    ) throws(DNSWireError) -> DNSRecordData {
        let start = reader.offset
        let end = start + length
        guard length <= reader.remaining else {
            throw DNSWireError(.truncated, at: start, "record data of \(length) bytes, \(reader.remaining) left")
        }
        let data: DNSRecordData
        switch type {
        case .a, .aaaa:
            let expected = type == .a ? 4 : 16
            guard length == expected else {
                throw DNSWireError(.badRecordData, at: start, "\(type) data must be \(expected) bytes, not \(length)")
            }
            let address = try reader.readBytes(length, "an address")
            data = type == .a ? .a(address) : .aaaa(address)
        case .ns, .cname:
            let name = try DNSName.decode(from: &reader)
            data = type == .ns ? .ns(name) : .cname(name)
        case .soa:
            data = .soa(
                DNSSOA(
                    primaryNameserver: try DNSName.decode(from: &reader),
                    responsibleMailbox: try DNSName.decode(from: &reader),
                    serial: try reader.readUInt32("the SOA serial"), refresh: try reader.readUInt32("the SOA refresh"),
                    retry: try reader.readUInt32("the SOA retry"), expire: try reader.readUInt32("the SOA expire"),
                    minimum: try reader.readUInt32("the SOA minimum")))
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = try reader.readUInt8("a TXT character-string length")
                guard reader.offset + Int(count) <= end else {
                    throw DNSWireError(.badRecordData, at: reader.offset, "a TXT string runs past its record's data")
                }
                strings.append(try reader.readBytes(Int(count), "a TXT character-string"))
            }
            guard !strings.isEmpty else {
                throw DNSWireError(.badRecordData, at: start, "a TXT record needs at least one character-string")
            }
            data = .txt(strings)
        default:
            data = .unknown(try reader.readBytes(length, "record data"))
        }
        // A name inside the data may have ended anywhere: its end must be the data's end.
        guard reader.offset == end else {
            throw DNSWireError(
                .badRecordData, at: start, "\(type) data of \(length) bytes holds \(reader.offset - start)")
        }
        return data
    }

    /// Writes the record data (without its length).
    func encodeData(into writer: inout DNSWireWriter) throws(DNSWireError) {
        if let dataType = data.recordType, dataType != type {
            throw DNSWireError(.unencodable, at: 0, "a \(type) record cannot hold \(dataType) data")
        }
        switch data {
        case .a(let address), .aaaa(let address):
            let expected = type == .a ? 4 : 16
            guard address.count == expected else {
                throw DNSWireError(.unencodable, at: 0, "an \(type) address must be \(expected) bytes")
            }
            writer.writeBytes(address)
        case .ns(let name), .cname(let name):
            writer.writeName(name, compressible: true)
        case .soa(let soa):
            writer.writeName(soa.primaryNameserver, compressible: true)
            writer.writeName(soa.responsibleMailbox, compressible: true)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                writer.writeUInt32(value)
            }
        case .txt(let strings):
            guard !strings.isEmpty else {
                throw DNSWireError(.unencodable, at: 0, "a TXT record needs at least one character-string")
            }
            for string in strings {
                guard string.count <= 255 else {
                    throw DNSWireError(.unencodable, at: 0, "a TXT character-string is \(string.count) bytes (max 255)")
                }
                writer.writeUInt8(UInt8(string.count))
                writer.writeBytes(string)
            }
        case .unknown(let bytes):
            writer.writeBytes(bytes)
        }
    }
}
