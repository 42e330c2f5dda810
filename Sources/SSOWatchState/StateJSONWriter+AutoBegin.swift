import Foundation
import SSOWatchModel

/// Verification assistance's part of the state file (docs/STATE.md): a connector's `auto_begin` record (the
/// limits that must hold across restarts) and the `assist` report a `verification_started` event carries.
/// Keys in sorted order, as everywhere in the file.
extension StateJSONWriter.Writer {
    mutating func autoBeginRecord(_ record: AutoBeginRecord) {
        raw("{\"accepted\":")
        bool(record.accepted)
        raw(",\"announced\":[")
        for (index, outcome) in AutoBeginOutcome.allCases.filter(record.announced.contains).enumerated() {
            if index > 0 { comma() }
            string(outcome.rawValue)
        }
        raw("]")
        if let episode = record.episode {
            raw(",\"episode\":")
            date(episode)
        }
        if let lastCall = record.lastCall {
            raw(",\"last_call\":")
            date(lastCall)
        }
        if let latest = record.latest {
            raw(",\"latest\":{\"at\":")
            date(latest.at)
            raw(",\"detail\":")
            string(latest.detail)
            raw(",\"mode\":")
            string(latest.mode.rawValue)
            raw(",\"outcome\":")
            string(latest.outcome.rawValue)
            raw("}")
        }
        if let presentSince = record.presentSince {
            raw(",\"present_since\":")
            date(presentSince)
        }
        raw("}")
    }

    mutating func autoBeginReport(_ report: AutoBeginReport) {
        raw("{")
        if let error = report.cloudflareError {
            raw("\"cloudflare_error\":")
            string(error)
            comma()
        }
        if let status = report.httpStatus {
            raw("\"http_status\":")
            int(status)
            comma()
        }
        raw("\"mode\":")
        string(report.mode.rawValue)
        raw(",\"outcome\":")
        string(report.outcome.rawValue)
        if let status = report.readBackStatus {
            raw(",\"read_back_status\":")
            string(status)
        }
        raw("}")
    }
}
