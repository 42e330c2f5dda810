import SSOWatchConfig
import SSOWatchModel
/// Reads a successful `GET /accounts/{id}/sso_connectors` answer without `JSONSerialization`.
///
/// Parsing every list with corelibs `JSONSerialization` and casting its `[String: Any]` into `Connector`s
/// was about half of the instructions of a poll (BENCHMARKS.md). This reader handles the answer as
/// Cloudflare sends it — `success: true`, `result` an array of connector objects whose fields are strings,
/// booleans or null, `result_info.total_count` an integer — and skips fields it does not use. Anything
/// else (a failure, a field of an unexpected type, a repeated key, invalid UTF-8) gives `nil`, and the
/// client decodes the body as before, with the same result or error; `ConnectorListReaderTests` checks the
/// two against each other.
enum ConnectorListReader {
    /// The connectors and `result_info.total_count`, or `nil` when the full decoder must decide.
    static func decode(_ body: [UInt8]) -> (connectors: [Connector], totalCount: Int?)? {
        JSONByteReader.read(body) { $0.connectorList() }
    }
}

extension JSONByteReader {
    fileprivate mutating func connectorList() -> (connectors: [Connector], totalCount: Int?)? {
        var success: Bool?
        var connectors: [Connector]?
        var totalCount: Int?
        let complete = distinctKeys { reader, key in
            switch key {
            case "success":
                success = reader.bool()
                return success != nil
            case "result":
                connectors = reader.array { $0.connector() }
                return connectors != nil
            case "result_info":
                if reader.literal("null") { return true }
                return reader.distinctKeys { reader, key in
                    guard key == "total_count" else { return reader.skipValue() }
                    if reader.literal("null") { return true }
                    totalCount = reader.int()
                    return totalCount != nil
                }
            default:
                return reader.skipValue()
            }
        }
        guard complete, success == true, let connectors else { return nil }
        return (connectors, totalCount)
    }

    private mutating func connector() -> Connector? {
        var connector = Connector(id: nil)
        let complete = distinctKeys { reader, key in
            switch key {
            case "id": return reader.nullableString(&connector.id)
            case "email_domain": return reader.nullableString(&connector.emailDomain)
            case "created_on": return reader.nullableString(&connector.createdOn)
            case "updated_on": return reader.nullableString(&connector.updatedOn)
            case "enabled": return reader.nullableBool(&connector.enabled)
            case "use_fedramp_language": return reader.nullableBool(&connector.useFedrampLanguage)
            case "verification":
                if reader.literal("null") { return true }
                return reader.distinctKeys { reader, key in
                    switch key {
                    case "code": return reader.nullableString(&connector.verificationCode)
                    case "status": return reader.nullableString(&connector.rawStatus)
                    default: return reader.skipValue()
                    }
                }
            default:
                return reader.skipValue()
            }
        }
        return complete ? connector : nil
    }

    /// An object whose keys must all differ (what `JSONSerialization` does with a repeated key is left to it).
    private mutating func distinctKeys(_ member: (inout JSONByteReader, String) -> Bool) -> Bool {
        var seen: [String] = []
        return object { reader, key in
            guard !seen.contains(key) else { return false }
            seen.append(key)
            return member(&reader, key)
        }
    }

    private mutating func nullableString(_ slot: inout String?) -> Bool {
        if literal("null") { return true }
        slot = string()
        return slot != nil
    }

    private mutating func nullableBool(_ slot: inout Bool?) -> Bool {
        if literal("null") { return true }
        slot = bool()
        return slot != nil
    }
}
