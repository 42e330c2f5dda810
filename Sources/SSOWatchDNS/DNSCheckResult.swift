import Foundation

/// The verdict of one DNS check of one connector's TXT record (`docs/DNS.md`, and `status --json` `dns`).
public struct DNSCheckResult: Hashable, Sendable {
    /// The five results.
    public enum Result: String, Hashable, Sendable, CaseIterable {
        /// The exact value on every authoritative nameserver.
        case present
        /// The exact value on some nameservers but not all (still propagating), whether or not the others
        /// answered.
        case partial
        /// Every nameserver answered and none has the value.
        case missing
        /// Every nameserver answered, none has the value, but one has a mistyped form of it.
        case nearMiss = "near_miss"
        /// No conclusion: nameservers failed and none of those that answered shows the value.
        case inconclusive

        /// Whether the result says something about the record (everything but `inconclusive`).
        public var isConclusive: Bool { self != .inconclusive }
    }

    /// The verdict.
    public var result: Result
    /// A sentence: what was found on which nameserver, and what to publish.
    public var detail: String
    /// The nameservers asked, sorted.
    public var nameservers: [String]
    /// How many of them have the exact value.
    public var agreeing: Int
    /// The mistakes seen in a near miss, in a fixed order; empty otherwise.
    public var mistakes: [DNSNearMiss.Mistake]
    /// When the check ran.
    public var checked: Date

    /// Creates a result.
    public init(
        result: Result, detail: String, nameservers: [String], agreeing: Int, mistakes: [DNSNearMiss.Mistake] = [],
        checked: Date
    ) {
        self.result = result
        self.detail = detail
        self.nameservers = nameservers
        self.agreeing = agreeing
        self.mistakes = mistakes
        self.checked = checked
    }
}
