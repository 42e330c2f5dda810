import Foundation
import SSOWatchModel

/// The verdict of one DNS check of one connector's TXT record (`docs/DNS.md`): the model's
/// `DNSRecordCheck`, which messages and `status --json` show, and the mistakes of a near miss.
public struct DNSCheckResult: Hashable, Sendable {
    /// The five results.
    public typealias Result = DNSRecordCheck.Result

    /// What the check found, as the rest of ssowatch keeps it.
    public var record: DNSRecordCheck
    /// The mistakes seen in a near miss, in a fixed order; empty otherwise.
    public var mistakes: [DNSNearMiss.Mistake]

    /// The verdict.
    public var result: Result { record.result }
    /// A sentence: what was found on which nameserver, and what to publish.
    public var detail: String { record.detail }
    /// The nameservers asked, sorted.
    public var nameservers: [String] { record.nameservers }
    /// How many of them have the exact value.
    public var agreeing: Int { record.agreeing }
    /// When the check ran.
    public var checked: Date { record.checked }

    /// The longest `detail` kept, in characters. A near miss quotes what the nameservers hold, and a zone
    /// may hold many long TXT records: the detail travels in every message, the state file and
    /// `status`, so it is cut here, once, with `…`.
    public static let detailLimit = 1000

    /// Creates a result; a `detail` over ``detailLimit`` characters is shortened.
    public init(
        result: Result, detail: String, nameservers: [String], agreeing: Int, mistakes: [DNSNearMiss.Mistake] = [],
        checked: Date
    ) {
        record = DNSRecordCheck(
            result: result, detail: detail.shortened(to: Self.detailLimit), nameservers: nameservers,
            agreeing: agreeing, checked: checked)
        self.mistakes = mistakes
    }
}
