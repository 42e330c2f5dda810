import Foundation

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

    /// Parses a document, without checking its version.
    public static func decode(_ data: Data) throws -> StateDocument {
        try decoder().decode(StateDocument.self, from: data)
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
            Date(timeIntervalSinceReferenceDate: try decoder.singleValueContainer().decode(Double.self))
        }
        return decoder
    }

    private struct VersionProbe: Decodable {
        var version: Int?
    }
}
