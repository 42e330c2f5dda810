/// Why a DNS packet could not be decoded or encoded: the kind of fault, where it was found, and a sentence
/// a person can read in a log line.
///
/// Decoding never traps on hostile input: every read is bounds-checked and any inconsistency throws this.
public struct DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of fault, so that callers and tests can tell them apart without parsing the text.
    public enum Kind: String, Hashable, Sendable {
        /// The packet ends before a field it announced (a count, a length, a name) is complete.
        case truncated
        /// A label longer than 63 bytes, or a label type (0x40, 0x80) DNS no longer uses.
        case badLabel
        /// A name longer than 255 bytes on the wire.
        case nameTooLong
        /// A compression pointer that points at or after itself, past the end, or that loops.
        case badPointer
        /// Record data whose length does not fit its type (an A record of 5 bytes, say).
        case badRecordData
        /// More than one OPT record, or an OPT record not owned by the root name.
        case badOPT
        /// A value that cannot be written: a character-string over 255 bytes, more than 65,535 records.
        case unencodable
    }

    /// What went wrong.
    public let kind: Kind
    /// The byte offset in the packet where it was noticed (0 when encoding).
    public let offset: Int
    /// A sentence naming the fault.
    public let reason: String

    /// Creates an error of `kind` found at `offset`.
    public init(_ kind: Kind, at offset: Int, _ reason: String) {
        self.kind = kind
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "malformed DNS packet at byte \(offset): \(reason)" }
}
