/// The EDNS(0) parameters of a message (RFC 6891), carried on the wire as the OPT pseudo-record.
public struct DNSEDNS: Hashable, Sendable {
    /// One option of the OPT record (an extended error, a cookie, padding…), kept raw.
    public struct Option: Hashable, Sendable {
        /// The option code (15 is Extended DNS Error, RFC 8914).
        public var code: UInt16
        /// The option's data.
        public var data: [UInt8]

        /// Creates an option.
        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    /// The payload size advertised by default: the size the DNS flag day 2020 recommends, which avoids IP
    /// fragmentation on common paths.
    public static let recommendedPayloadSize: UInt16 = 1232

    /// The largest UDP answer the sender can take.
    public var udpPayloadSize: UInt16
    /// The EDNS version (0).
    public var version: UInt8
    /// The DO bit: DNSSEC records wanted.
    public var dnssecOK: Bool
    /// The options, in order.
    public var options: [Option]

    /// Creates EDNS parameters.
    public init(
        udpPayloadSize: UInt16 = DNSEDNS.recommendedPayloadSize, version: UInt8 = 0, dnssecOK: Bool = false,
        options: [Option] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }
}

/// A whole DNS message (RFC 1035 §4.1): header, question, answer, authority and additional sections.
///
/// `decode` reads untrusted bytes and only ever throws `DNSWireError`; `encode` writes a message,
/// compressing names by default.
public struct DNSMessage: Hashable, Sendable {
    /// The largest message: what a TCP length prefix can announce.
    public static let maxLength = 65535

    /// The query id a response must echo.
    public var id: UInt16
    /// QR: a response rather than a query.
    public var isResponse: Bool
    /// The kind of query (0 is a standard query).
    public var opcode: UInt8
    /// AA: the answer comes from a server authoritative for the name.
    public var isAuthoritative: Bool
    /// TC: the answer did not fit and was cut; ask again over TCP.
    public var isTruncated: Bool
    /// RD: the client asks the server to resolve recursively.
    public var recursionDesired: Bool
    /// RA: the server offers recursion.
    public var recursionAvailable: Bool
    /// AD: the data was validated with DNSSEC (by the server).
    public var authenticData: Bool
    /// CD: the client asks the server not to validate.
    public var checkingDisabled: Bool
    /// The response code, extended by the OPT record when there is one.
    public var responseCode: DNSResponseCode
    /// The question section (one entry in practice).
    public var questions: [DNSQuestion]
    /// The answer section.
    public var answers: [DNSResourceRecord]
    /// The authority section (NS records of a referral, the SOA of a negative answer).
    public var authority: [DNSResourceRecord]
    /// The additional section, without the OPT record.
    public var additional: [DNSResourceRecord]
    /// The EDNS parameters, from the OPT record; `nil` when there was none.
    public var edns: DNSEDNS?

    /// Creates a message; by default an empty standard query.
    public init(
        id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false,
        authenticData: Bool = false, checkingDisabled: Bool = false, responseCode: DNSResponseCode = .noError,
        questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [], authority: [DNSResourceRecord] = [],
        additional: [DNSResourceRecord] = [], edns: DNSEDNS? = nil
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// A standard query for `name`/`type` with EDNS(0) advertising `payloadSize` (`nil`: no OPT record).
    public static func query(
        id: UInt16, name: DNSName, type: DNSRecordType, recursionDesired: Bool,
        payloadSize: UInt16? = DNSEDNS.recommendedPayloadSize
    ) -> DNSMessage {
        DNSMessage(
            id: id, recursionDesired: recursionDesired, questions: [DNSQuestion(name: name, type: type)],
            edns: payloadSize.map { DNSEDNS(udpPayloadSize: $0) })
    }

    /// Decodes a message from untrusted bytes; bytes after the last record are ignored.
    /// - Throws: `DNSWireError` naming the first fault found.
    public static func decode(_ bytes: [UInt8]) throws(DNSWireError) -> DNSMessage {
        var reader = DNSWireReader(bytes)
        let id = try reader.readUInt16("the header's id")
        let flags = try reader.readUInt16("the header's flags")
        let questionCount = try reader.readUInt16("the question count")
        let answerCount = try reader.readUInt16("the answer count")
        let authorityCount = try reader.readUInt16("the authority count")
        let additionalCount = try reader.readUInt16("the additional count")
        var message = DNSMessage(
            id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8((flags >> 11) & 0x0F),
            isAuthoritative: flags & 0x0400 != 0, isTruncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0,
            responseCode: DNSResponseCode(rawValue: flags & 0x000F))
        // A question takes at least 5 bytes and a record 11: never reserve more than the data could hold.
        message.questions.reserveCapacity(min(Int(questionCount), reader.remaining / 5))
        for _ in 0..<questionCount {
            let name = try DNSName.decode(from: &reader)
            let type = DNSRecordType(rawValue: try reader.readUInt16("a question's type"))
            message.questions.append(DNSQuestion(name: name, type: type, recordClass: try reader.readUInt16("a class")))
        }
        var opt: OPTRecord?
        message.answers = try decodeRecords(answerCount, from: &reader, opt: &opt, allowOPT: false)
        message.authority = try decodeRecords(authorityCount, from: &reader, opt: &opt, allowOPT: false)
        message.additional = try decodeRecords(additionalCount, from: &reader, opt: &opt, allowOPT: true)
        if let opt {
            message.edns = opt.edns
            let code = UInt16(opt.extendedCode) << 4 | message.responseCode.rawValue
            message.responseCode = DNSResponseCode(rawValue: code)
        }
        return message
    }

    /// Decodes `count` records; an OPT record is taken out into `opt` where `opt` is given (the additional
    /// section) and rejected elsewhere.
    private static func decodeRecords(
        _ count: UInt16, from reader: inout DNSWireReader, opt: inout OPTRecord?, allowOPT: Bool
    ) throws(DNSWireError) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        records.reserveCapacity(min(Int(count), reader.remaining / 11))
        for _ in 0..<count {
            let start = reader.offset
            let name = try DNSName.decode(from: &reader)
            let type = DNSRecordType(rawValue: try reader.readUInt16("a record's type"))
            let recordClass = try reader.readUInt16("a record's class")
            let ttl = try reader.readUInt32("a record's TTL")
            let length = Int(try reader.readUInt16("a record's data length"))
            if type == .opt {
                guard allowOPT, opt == nil, name == .root else {
                    throw DNSWireError(
                        .badOPT, at: start, "an OPT record must be one, in the additional section, owned by the root")
                }
                opt = try OPTRecord(payloadSize: recordClass, ttl: ttl, length: length, from: &reader)
                continue
            }
            let data = try DNSResourceRecord.decodeData(type: type, length: length, from: &reader)
            records.append(DNSResourceRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data))
        }
        return records
    }

    /// Encodes the message, compressing names unless `compress` is false.
    /// - Throws: `DNSWireError` (`unencodable`) for a value the wire format cannot carry.
    public func encode(compress: Bool = true) throws(DNSWireError) -> [UInt8] {
        var writer = DNSWireWriter(compress: compress)
        writer.writeUInt16(id)
        var flags = UInt16(opcode & 0x0F) << 11 | responseCode.rawValue & 0x000F
        for (bit, isSet) in [
            (UInt16(0x8000), isResponse), (0x0400, isAuthoritative), (0x0200, isTruncated),
            (0x0100, recursionDesired), (0x0080, recursionAvailable), (0x0020, authenticData),
            (0x0010, checkingDisabled),
        ] where isSet {
            flags |= bit
        }
        writer.writeUInt16(flags)
        guard responseCode.rawValue <= 0x0F || edns != nil else {
            throw DNSWireError(.unencodable, at: 0, "response code \(responseCode) needs an OPT record")
        }
        let additionalCount = additional.count + (edns == nil ? 0 : 1)
        for count in [questions.count, answers.count, authority.count, additionalCount] {
            guard count <= 0xFFFF else { throw DNSWireError(.unencodable, at: 0, "\(count) entries in one section") }
            writer.writeUInt16(UInt16(count))
        }
        for question in questions {
            writer.writeName(question.name, compressible: true)
            writer.writeUInt16(question.type.rawValue)
            writer.writeUInt16(question.recordClass)
        }
        for record in answers + authority + additional {
            writer.writeName(record.name, compressible: true)
            writer.writeUInt16(record.type.rawValue)
            writer.writeUInt16(record.recordClass)
            writer.writeUInt32(record.ttl)
            try writeLengthPrefixed(into: &writer) { (writer: inout DNSWireWriter) throws(DNSWireError) in
                try record.encodeData(into: &writer)
            }
        }
        if let edns {
            writer.writeUInt8(0)
            writer.writeUInt16(DNSRecordType.opt.rawValue)
            writer.writeUInt16(edns.udpPayloadSize)
            let extendedCode = UInt32(responseCode.rawValue >> 4)
            writer.writeUInt32(extendedCode << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            try writeLengthPrefixed(into: &writer) { (writer: inout DNSWireWriter) throws(DNSWireError) in
                for option in edns.options {
                    guard option.data.count <= 0xFFFF else {
                        throw DNSWireError(.unencodable, at: 0, "an EDNS option of \(option.data.count) bytes")
                    }
                    writer.writeUInt16(option.code)
                    writer.writeUInt16(UInt16(option.data.count))
                    writer.writeBytes(option.data)
                }
            }
        }
        guard writer.bytes.count <= Self.maxLength else {
            throw DNSWireError(.unencodable, at: 0, "a message of \(writer.bytes.count) bytes (max 65,535)")
        }
        return writer.bytes
    }

    private func writeLengthPrefixed(
        into writer: inout DNSWireWriter, _ body: (inout DNSWireWriter) throws(DNSWireError) -> Void
    ) throws(DNSWireError) {
        let lengthOffset = writer.bytes.count
        writer.writeUInt16(0)
        try body(&writer)
        let length = writer.bytes.count - lengthOffset - 2
        guard length <= 0xFFFF else {
            throw DNSWireError(.unencodable, at: 0, "record data of \(length) bytes (max 65,535)")
        }
        writer.patchUInt16(UInt16(length), at: lengthOffset)
    }
}

/// The OPT pseudo-record's fields as read: the EDNS parameters and the upper bits of the response code.
private struct OPTRecord {
    var edns: DNSEDNS
    var extendedCode: UInt8

    /// Reads the options from `length` bytes of record data; the class field is the payload size and
    /// the TTL field holds the extended code, version and flags.
    init(payloadSize: UInt16, ttl: UInt32, length: Int, from reader: inout DNSWireReader) throws(DNSWireError) {
        let end = reader.offset + length
        guard length <= reader.remaining else {
            throw DNSWireError(.truncated, at: reader.offset, "OPT data of \(length) bytes, \(reader.remaining) left")
        }
        var options: [DNSEDNS.Option] = []
        while reader.offset < end {
            let code = try reader.readUInt16("an EDNS option code")
            let optionLength = Int(try reader.readUInt16("an EDNS option length"))
            guard reader.offset + optionLength <= end else {
                throw DNSWireError(.badOPT, at: reader.offset, "an EDNS option runs past the OPT record")
            }
            options.append(DNSEDNS.Option(code: code, data: try reader.readBytes(optionLength, "an EDNS option")))
        }
        guard reader.offset == end else {
            throw DNSWireError(.badOPT, at: reader.offset, "an EDNS option header runs past the OPT record")
        }
        edns = DNSEDNS(
            udpPayloadSize: payloadSize, version: UInt8((ttl >> 16) & 0xFF), dnssecOK: ttl & 0x8000 != 0,
            options: options)
        extendedCode = UInt8(ttl >> 24)
    }
}
