import Foundation
import SSOWatchDNS
import SSOWatchModel

/// The DNS check's part of the state file (docs/STATE.md): a connector's latest check (`dns`) and its
/// announcement episode (`dns_episode`), and the check an event carries. Keys in sorted order, as
/// everywhere in the file.
extension StateJSONWriter.Writer {
    mutating func dnsCheck(_ check: DNSRecordCheck) {
        raw("{\"agreeing\":")
        int(check.agreeing)
        raw(",\"checked\":")
        date(check.checked)
        raw(",\"detail\":")
        string(check.detail)
        raw(",\"nameservers\":[")
        for (index, nameserver) in check.nameservers.enumerated() {
            if index > 0 { comma() }
            string(nameserver)
        }
        raw("],\"result\":")
        string(check.result.rawValue)
        raw("}")
    }

    mutating func dnsEpisode(_ episode: DNSEpisode) {
        raw("{\"consecutive_missing\":")
        int(episode.consecutiveMissing)
        if let last = episode.lastConclusive {
            raw(",\"last_conclusive\":")
            string(last.rawValue)
        }
        raw(",\"missing_announced\":")
        bool(episode.missingAnnounced)
        if let status = episode.status {
            raw(",\"status\":")
            string(status.rawValue)
        }
        raw("}")
    }
}
