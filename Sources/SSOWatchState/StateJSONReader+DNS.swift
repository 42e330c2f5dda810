import Foundation
import SSOWatchDNS
import SSOWatchModel

/// Reads what `StateJSONWriter+DNS.swift` writes.
extension JSONByteReader {
    mutating func dnsCheck() throws(JSONReadError) -> DNSRecordCheck {
        var result: DNSRecordCheck.Result?
        var detail: String?
        var nameservers: [String]?
        var agreeing: Int?
        var checked: Date?
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "result": try reader.once(&result) { (r) throws(JSONReadError) in try r.dnsResult() }
            case "detail": try reader.once(&detail, Self.string)
            case "nameservers":
                try reader.once(&nameservers) { (r) throws(JSONReadError) in try r.array(Self.string) }
            case "agreeing": try reader.once(&agreeing, Self.count)
            case "checked": try reader.once(&checked, Self.date)
            default: try reader.skipValue()
            }
        }
        return DNSRecordCheck(
            result: try required(result, "result"), detail: try required(detail, "detail"),
            nameservers: try required(nameservers, "nameservers"), agreeing: try required(agreeing, "agreeing"),
            checked: try required(checked, "checked"))
    }

    mutating func dnsEpisode() throws(JSONReadError) -> DNSEpisode {
        var status: VerificationStatus?? = .none
        var last: DNSRecordCheck.Result?? = .none
        var missing: Int?
        var announced: Bool?
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "status": try reader.onceOptional(&status, Self.status)
            case "last_conclusive":
                try reader.onceOptional(&last) { (r) throws(JSONReadError) in try r.dnsResult() }
            case "consecutive_missing": try reader.once(&missing, Self.count)
            case "missing_announced": try reader.once(&announced, Self.bool)
            default: try reader.skipValue()
            }
        }
        return DNSEpisode(
            status: status ?? nil, lastConclusive: last ?? nil,
            consecutiveMissing: try required(missing, "consecutive_missing"),
            missingAnnounced: try required(announced, "missing_announced"))
    }

    mutating func dnsResult() throws(JSONReadError) -> DNSRecordCheck.Result {
        skipWhitespace()
        let start = offset
        let text = try string()
        guard let result = DNSRecordCheck.Result(rawValue: text) else {
            throw JSONReadError(.invalid("unknown DNS result \(JSONValue.string(text).text)"), at: start)
        }
        return result
    }
}
