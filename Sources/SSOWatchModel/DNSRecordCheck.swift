import Foundation

/// The latest check of a connector's TXT record on the domain's own nameservers (docs/DNS.md): what
/// `status --json` shows as `dns`, what every message about an awaiting, pending or failed connector
/// carries in one line, and the `dns` of a generic webhook body.
public struct DNSRecordCheck: Sendable, Equatable, Hashable {
    /// The five results.
    public enum Result: String, Sendable, Hashable, CaseIterable {
        /// The exact value on every authoritative nameserver.
        case present
        /// On some nameservers but not all: still propagating.
        case partial
        /// Every nameserver answered and none has it.
        case missing
        /// None has it, but one has a mistyped form of it.
        case nearMiss = "near_miss"
        /// No conclusion: nameservers failed and none of those that answered has it.
        case inconclusive

        /// Whether the result says something about the record.
        public var isConclusive: Bool { self != .inconclusive }
    }

    /// The verdict.
    public var result: Result
    /// A sentence: what was found on which nameserver and, unless present, what to publish.
    public var detail: String
    /// The nameservers asked, by name.
    public var nameservers: [String]
    /// How many of them have the exact value.
    public var agreeing: Int
    /// When the check ran.
    public var checked: Date

    /// Creates a check result.
    public init(result: Result, detail: String, nameservers: [String], agreeing: Int, checked: Date) {
        self.result = result
        self.detail = detail
        self.nameservers = nameservers
        self.agreeing = agreeing
        self.checked = checked
    }

    /// The one line messages carry, e.g. `DNS: TXT record missing on ns1.example.net, ns2.example.net
    /// (checked 10:02 UTC)`.
    public var summaryLine: String {
        let servers = nameservers.isEmpty ? "" : " on " + nameservers.joined(separator: ", ")
        let what: String
        switch result {
        case .present: what = "TXT record present" + servers
        case .partial: what = "TXT record on \(agreeing) of \(nameservers.count) nameservers (still propagating)"
        case .missing: what = "TXT record missing" + servers
        case .nearMiss: what = "TXT record mistyped" + servers
        case .inconclusive: what = "TXT record not checked: no authoritative answer" + servers
        }
        return "DNS: \(what) (checked \(CivilDate.hourMinuteUTC(checked)))"
    }
}
