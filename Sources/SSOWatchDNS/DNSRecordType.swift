/// A resource record type (RFC 1035 §3.2.2 and later RFCs); any 16-bit value is allowed.
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type's number on the wire.
    public let rawValue: UInt16

    /// Creates a type from its number.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// An IPv4 address.
    public static let a = DNSRecordType(rawValue: 1)
    /// An authoritative nameserver of a zone.
    public static let ns = DNSRecordType(rawValue: 2)
    /// An alias: the canonical name of the owner.
    public static let cname = DNSRecordType(rawValue: 5)
    /// The start of a zone of authority.
    public static let soa = DNSRecordType(rawValue: 6)
    /// Text: one or more character-strings.
    public static let txt = DNSRecordType(rawValue: 16)
    /// An IPv6 address.
    public static let aaaa = DNSRecordType(rawValue: 28)
    /// The EDNS(0) pseudo-record (RFC 6891).
    public static let opt = DNSRecordType(rawValue: 41)

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .opt: "OPT"
        default: "TYPE\(rawValue)"
        }
    }
}

/// A response code, including the extended codes whose upper 8 bits travel in the OPT record.
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 12-bit code: 4 bits from the header, 8 from the OPT record's TTL field.
    public let rawValue: UInt16

    /// Creates a code from its number; only the lower 12 bits are kept.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue & 0x0FFF
    }

    /// No error.
    public static let noError = DNSResponseCode(rawValue: 0)
    /// The server could not understand the query.
    public static let formatError = DNSResponseCode(rawValue: 1)
    /// The server failed (SERVFAIL): for an authoritative server often a zone it could not load.
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    /// The name does not exist (NXDOMAIN).
    public static let nameError = DNSResponseCode(rawValue: 3)
    /// The server does not implement this kind of query.
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    /// The server refuses to answer (REFUSED): for an authoritative server, a zone it does not serve.
    public static let refused = DNSResponseCode(rawValue: 5)
    /// The server does not speak the EDNS version asked for.
    public static let badVersion = DNSResponseCode(rawValue: 16)

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

/// One entry of the question section.
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    /// The class `IN` (Internet), the only one this codec gives a name to.
    public static let internetClass: UInt16 = 1

    /// The name asked about.
    public var name: DNSName
    /// The record type asked for.
    public var type: DNSRecordType
    /// The class, almost always `IN` (1).
    public var recordClass: UInt16

    /// Creates a question; the class defaults to `IN`.
    public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSQuestion.internetClass) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    public var description: String { "\(name) \(type)" }
}
