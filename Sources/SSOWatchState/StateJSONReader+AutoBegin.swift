import Foundation
import SSOWatchModel

/// Reads what `StateJSONWriter+AutoBegin.swift` writes.
extension JSONByteReader {
    mutating func autoBeginRecord() throws(JSONReadError) -> AutoBeginRecord {
        var accepted: Bool?
        var announced: [AutoBeginOutcome]?
        var episode: Date?? = .none
        var lastCall: Date?? = .none
        var latest: AutoBeginAttempt?? = .none
        var presentSince: Date?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "accepted": try reader.once(&accepted, Self.bool)
            case "announced":
                try reader.once(&announced) { (r) throws(JSONReadError) in
                    try r.array { (r) throws(JSONReadError) in try r.autoBeginOutcome() }
                }
            case "episode": try reader.onceOptional(&episode, Self.date)
            case "last_call": try reader.onceOptional(&lastCall, Self.date)
            case "latest": try reader.onceOptional(&latest) { (r) throws(JSONReadError) in try r.autoBeginAttempt() }
            case "present_since": try reader.onceOptional(&presentSince, Self.date)
            default: try reader.skipValue()
            }
        }
        return AutoBeginRecord(
            episode: episode ?? nil, presentSince: presentSince ?? nil, lastCall: lastCall ?? nil,
            accepted: try required(accepted, "accepted"), announced: Set(try required(announced, "announced")),
            latest: latest ?? nil)
    }

    mutating func autoBeginAttempt() throws(JSONReadError) -> AutoBeginAttempt {
        var mode: AutoBeginMode?
        var outcome: AutoBeginOutcome?
        var at: Date?
        var detail: String?
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "mode": try reader.once(&mode) { (r) throws(JSONReadError) in try r.autoBeginMode() }
            case "outcome": try reader.once(&outcome) { (r) throws(JSONReadError) in try r.autoBeginOutcome() }
            case "at": try reader.once(&at, Self.date)
            case "detail": try reader.once(&detail, Self.string)
            default: try reader.skipValue()
            }
        }
        return AutoBeginAttempt(
            mode: try required(mode, "mode"), outcome: try required(outcome, "outcome"), at: try required(at, "at"),
            detail: try required(detail, "detail"))
    }

    mutating func autoBeginReport() throws(JSONReadError) -> AutoBeginReport {
        var mode: AutoBeginMode?
        var outcome: AutoBeginOutcome?
        var httpStatus: Int?? = .none
        var cloudflareError: String?? = .none
        var readBack: String?? = .none
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "mode": try reader.once(&mode) { (r) throws(JSONReadError) in try r.autoBeginMode() }
            case "outcome": try reader.once(&outcome) { (r) throws(JSONReadError) in try r.autoBeginOutcome() }
            case "http_status": try reader.onceOptional(&httpStatus, Self.int)
            case "cloudflare_error": try reader.onceOptional(&cloudflareError, Self.string)
            case "read_back_status": try reader.onceOptional(&readBack, Self.string)
            default: try reader.skipValue()
            }
        }
        return AutoBeginReport(
            mode: try required(mode, "mode"), outcome: try required(outcome, "outcome"),
            httpStatus: httpStatus ?? nil, cloudflareError: cloudflareError ?? nil, readBackStatus: readBack ?? nil)
    }

    mutating func autoBeginMode() throws(JSONReadError) -> AutoBeginMode {
        skipWhitespace()
        let start = offset
        let text = try string()
        guard let mode = AutoBeginMode(rawValue: text) else {
            throw JSONReadError(.invalid("unknown auto_begin mode \(JSONValue.string(text).text)"), at: start)
        }
        return mode
    }

    mutating func autoBeginOutcome() throws(JSONReadError) -> AutoBeginOutcome {
        skipWhitespace()
        let start = offset
        let text = try string()
        guard let outcome = AutoBeginOutcome(rawValue: text) else {
            throw JSONReadError(.invalid("unknown auto_begin outcome \(JSONValue.string(text).text)"), at: start)
        }
        return outcome
    }
}
