import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// A parsed JSON value that keeps booleans, numbers and strings apart, so request bodies can be
/// type-checked the way Cloudflare does (`"true"` is not a boolean).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses `bytes`, or returns `nil` when they are not JSON.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The JSON type name used in error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// Small helpers that write JSON text directly; the simulator's output has a fixed key order, which
/// keeps responses cheap to build and easy to compare.
enum JSONText {
    /// `value` as a quoted, escaped JSON string.
    static func string(_ value: String) -> String {
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + value + "\"" }
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// An optional string as JSON (`null` when missing).
    static func string(_ value: String?) -> String {
        value.map { string($0) } ?? "null"
    }

    /// A Cloudflare error item; `chain` becomes its `error_chain`.
    static func errorItem(code: Int, message: String, chain: [(Int, String)] = []) -> String {
        var item = "{\"code\":\(code),\"message\":\(string(message))"
        if !chain.isEmpty {
            item +=
                ",\"error_chain\":["
                + chain.map { errorItem(code: $0.0, message: $0.1) }
                .joined(separator: ",") + "]"
        }
        return item + "}"
    }

    /// A success envelope; `result == nil` leaves the key out (as `begin_verification` does).
    static func success(result: String?, resultInfo: String? = nil) -> String {
        var body = "{\"success\":true,\"errors\":[],\"messages\":[]"
        if let result { body += ",\"result\":" + result }
        if let resultInfo { body += ",\"result_info\":" + resultInfo }
        return body + "}"
    }

    /// A failure envelope with `result: null`; `errors` are items from `errorItem`.
    static func failure(_ errors: [String]) -> String {
        "{\"success\":false,\"errors\":[" + errors.joined(separator: ",") + "],\"messages\":[],\"result\":null}"
    }
}

/// Cloudflare's timestamp style with four fractional digits, e.g. `2025-01-01T12:21:02.0000Z`.
enum CloudflareTimestamp {
    static func string(_ date: Date) -> String {
        let totalTenThousandths = Int64((date.timeIntervalSince1970 * 10_000).rounded(.down))
        let (seconds, fraction) = floorDivide(totalTenThousandths, 10_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = CivilDate.from(daysSinceEpoch: Int(days))
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 4))Z"
    }

    private static func pad(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
