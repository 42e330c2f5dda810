/// Why one query to one server got no usable answer.
public struct DNSClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Kind: String, Hashable, Sendable {
        /// No matching answer before the deadline, on every attempt.
        case timeout
        /// The server could not be reached (connection refused, no route).
        case unreachable
        /// An answer came but could not be decoded or did not match the query (over TCP, where the
        /// connection leaves no doubt about who sent it).
        case malformedAnswer
    }

    /// What went wrong.
    public let kind: Kind
    /// The server asked.
    public let server: DNSServerAddress
    /// The question asked.
    public let question: DNSQuestion
    /// Details: the socket error, the decoding fault, or the last answer that was ignored.
    public let reason: String

    /// Creates an error.
    public init(_ kind: Kind, server: DNSServerAddress, question: DNSQuestion, reason: String) {
        self.kind = kind
        self.server = server
        self.question = question
        self.reason = reason
    }

    /// A short phrase for a per-nameserver line: "timed out", "unreachable (connection refused)".
    public var summary: String {
        switch kind {
        case .timeout: reason.isEmpty ? "timed out" : "timed out (\(reason))"
        case .unreachable: "unreachable (\(reason))"
        case .malformedAnswer: "malformed answer (\(reason))"
        }
    }

    public var description: String { "DNS query \(question) to \(server): \(summary)" }
}
