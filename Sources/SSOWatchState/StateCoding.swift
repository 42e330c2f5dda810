import Foundation
import SSOWatchConfig

/// The JSON form of `StateDocument`.
///
/// Dates are stored as JSON numbers: seconds since 2001-01-01T00:00:00Z, Foundation's reference
/// date and a `Date`'s own representation, so a date reads back bit for bit (an ISO 8601 string or
/// Unix seconds would round it). Keys are sorted so that successive files diff cleanly.
public enum StateCoding {
    /// Serializes a document.
    public static func encode(_ document: StateDocument) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.timeIntervalSinceReferenceDate)
        }
        return try encoder.encode(document)
    }

    /// The largest counter a state file may hold (failed polls, polls a connector was missing from,
    /// delivery attempts): counting on from it can never overflow.
    public static let maximumCount = Int(Int32.max)

    /// The dates a state file may hold, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z: any date ssowatch
    /// writes, and none that `ssowatch status` could not print or date arithmetic could not convert.
    public static let dateRange = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799)

    /// A document `StateJSONReader` reads whole, of a version this build understands and with counts in
    /// range: what `probeVersion` and `decode` would accept, found without `JSONDecoder`. `nil` means
    /// "ask them".
    public static func decodeFast(_ bytes: [UInt8]) -> StateDocument? {
        guard let document = StateJSONReader.decode(bytes),
            (1...StateDocument.currentVersion).contains(document.version),
            (try? checkCounts(document)) != nil
        else { return nil }
        return document
    }

    /// Parses a document, without checking its version.
    /// - Throws: `DecodingError`, also for a date outside ``dateRange`` or a count outside
    ///   `0...maximumCount`, which only a damaged or hand-made file holds.
    public static func decode(_ data: Data) throws -> StateDocument {
        let document = try decoder().decode(StateDocument.self, from: data)
        try checkCounts(document)
        return document
    }

    /// Parses one `StateJournal` line (its newline removed).
    /// - Throws: `DecodingError`, also for a date or count out of range, as `decode` does.
    static func decodeJournalRecord(_ data: Data) throws -> StateJournal.Record {
        let record = try decoder().decode(StateJournal.Record.self, from: data)
        var applied = StateDocument()
        record.change.apply(to: &applied)
        try checkCounts(applied)
        return record
    }

    /// The `version` of a JSON object, `nil` when the data is not an object with an integer `version`.
    static func probeVersion(_ data: Data) throws -> Int? {
        try decoder().decode(VersionProbe.self, from: data).version
    }

    /// A short, one-line reason for a decoding failure, for the "moved aside" report.
    static func reason(for error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context))"
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "missing key \"\(key.stringValue)\"\(parent)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "unexpected value at \(path(context))"
        @unknown default:
            return "unreadable content"
        }
    }

    private static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let date = Date(timeIntervalSinceReferenceDate: try container.decode(Double.self))
            guard dateRange.contains(date) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "date out of range")
            }
            return date
        }
        return decoder
    }

    /// Rejects negative counters and counters so large that counting on would overflow.
    static func checkCounts(_ document: StateDocument) throws {
        func check(_ value: Int, _ path: [PathKey]) throws {
            guard (0...maximumCount).contains(value) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "count out of range"))
            }
        }
        for (id, account) in document.accounts.sorted(by: { $0.key < $1.key }) {
            try check(account.consecutiveFailures, ["accounts", PathKey(id), "consecutive_failures"])
            for (connectorID, connector) in account.connectors.sorted(by: { $0.key < $1.key }) {
                try check(
                    connector.missingCount,
                    ["accounts", PathKey(id), "connectors", PathKey(connectorID), "missing_count"])
            }
        }
        for (index, entry) in document.outbox.enumerated() {
            try check(entry.attempts, ["outbox", PathKey(index: index), "attempts"])
        }
    }

    /// A coding path element for errors found after decoding.
    private struct PathKey: CodingKey, ExpressibleByStringLiteral {
        var stringValue: String
        var intValue: Int?

        init(_ string: String) { stringValue = string }
        init(stringLiteral value: String) { stringValue = value }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.init(index: intValue) }
        init(index: Int) {
            stringValue = "Index \(index)"
            intValue = index
        }
    }

    private struct VersionProbe: Decodable {
        var version: Int?
    }
}
