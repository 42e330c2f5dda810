import SSOWatchConfig
import SSOWatchModel

/// Cloudflare's answer envelope — `success`, `errors`, `result`, `result_info` — read in one pass over the
/// body: the one decoder of the API's answers.
///
/// Parsing every list into Foundation's `[String: Any]` and casting that into `Connector`s was about half of
/// the instructions of a poll (BENCHMARKS.md); this reads the values ssowatch uses and skips the rest. It is
/// lenient where Cloudflare might change: unknown keys are skipped, a field of an unexpected type counts as
/// missing (`"enabled": 1` is not `true`), a list entry that is not an object is skipped and counted; of a
/// repeated key the last value counts. Only text that is not JSON fails the read.
struct CloudflareAnswer {
    /// What `result` should hold.
    enum Expected {
        /// A list of connectors.
        case list
        /// One connector (get, create, update); its bytes are kept for `--json`.
        case connector
        /// Nothing ssowatch uses but, for a deletion, the connector's `id`.
        case deletion
        /// Nothing ssowatch uses.
        case nothing
    }

    /// What `result` held.
    enum Result {
        /// No `result`, or one of another shape than expected.
        case unexpected
        /// The connectors of a list, and how many entries were skipped (not objects) beside them.
        case list([Connector], skipped: Int)
        /// One connector and its object as received.
        case connector(Connector, raw: [UInt8])
        /// The deleted connector's id, when the answer gave one.
        case deletion(id: String?)

        /// The connectors of a list.
        var list: [Connector]? {
            if case .list(let connectors, _) = self { return connectors }
            return nil
        }
    }

    /// `success`, when it is a boolean.
    var success: Bool?
    /// `errors` that are objects or strings.
    var errors: [CloudflareMessage] = []
    var result = Result.unexpected
    /// `result_info.total_count`, when a whole number.
    var totalCount: Int?

    /// Reads `body`; throws when it is not JSON. An answer that is JSON but not an object reads as one
    /// without `success`.
    init(_ body: [UInt8], expecting expected: Expected) throws(JSONReadError) {
        self = try JSONByteReader.read(JSONByteReader.utf8Text(body)) { (reader) throws(JSONReadError) in
            var answer = CloudflareAnswer()
            guard reader.kind() == .object else {
                try reader.skipValue()
                return answer
            }
            try reader.object { (reader, key) throws(JSONReadError) in
                switch key {
                case "success": answer.success = try reader.lenientBool()
                case "errors": answer.errors = try reader.messages()
                case "result": answer.result = try reader.result(expected)
                case "result_info":
                    answer.totalCount = nil
                    guard reader.kind() == .object else { return try reader.skipValue() }
                    try reader.object { (reader, key) throws(JSONReadError) in
                        guard key == "total_count" else { return try reader.skipValue() }
                        answer.totalCount = try reader.wholeNumber()
                    }
                default: try reader.skipValue()
                }
            }
            return answer
        }
    }

    private init() {}

    /// The `result` of an answer, indented for `--json` (docs/COMMANDS.md); `null` when there is none.
    static func printedResult(ofBody body: [UInt8]) -> String {
        let raw = try? JSONByteReader.read(JSONByteReader.utf8Text(body)) { (reader) throws(JSONReadError) in
            var result: [UInt8]?
            try reader.object { (reader, key) throws(JSONReadError) in
                if key == "result" { result = try reader.rawValue() } else { try reader.skipValue() }
            }
            return result
        }
        return (raw ?? nil).flatMap { try? JSONByteReader.prettyPrinted($0) } ?? "null"
    }
}

extension JSONByteReader {
    /// What `read` reads when the value is of `kind`; `nil` (the value skipped) otherwise.
    fileprivate mutating func lenient<T>(_ kind: Kind, _ read: (inout JSONByteReader) throws(JSONReadError) -> T)
        throws(JSONReadError) -> T?
    {
        guard self.kind() == kind else {
            try skipValue()
            return nil
        }
        return try read(&self)
    }

    fileprivate mutating func lenientString() throws(JSONReadError) -> String? {
        try lenient(.string) { (r) throws(JSONReadError) in try r.string() }
    }

    fileprivate mutating func lenientBool() throws(JSONReadError) -> Bool? {
        try lenient(.boolean) { (r) throws(JSONReadError) in try r.bool() }
    }

    /// A number that is a whole number within `Int`, else `nil`.
    fileprivate mutating func wholeNumber() throws(JSONReadError) -> Int? {
        guard kind() == .number else {
            try skipValue()
            return nil
        }
        let raw = try rawValue()
        return try? JSONByteReader.read(raw) { (r) throws(JSONReadError) in try r.int() }
    }

    fileprivate mutating func result(_ expected: CloudflareAnswer.Expected) throws(JSONReadError)
        -> CloudflareAnswer.Result
    {
        switch (expected, kind()) {
        case (.list, .array):
            var skipped = 0
            let connectors = try array { (reader) throws(JSONReadError) -> Connector? in
                guard reader.kind() == .object else {
                    skipped += 1
                    try reader.skipValue()
                    return nil
                }
                return try reader.connector()
            }
            return .list(connectors.compactMap { $0 }, skipped: skipped)
        case (.connector, .object):
            let start = offset
            let connector = try self.connector()
            return .connector(connector, raw: bytes(from: start))
        case (.deletion, .object):
            var id: String?
            try object { (reader, key) throws(JSONReadError) in
                if key == "id" { id = try reader.lenientString() } else { try reader.skipValue() }
            }
            return .deletion(id: id)
        case (.deletion, _):
            try skipValue()
            return .deletion(id: nil)
        default:
            try skipValue()
            return .unexpected
        }
    }

    fileprivate mutating func connector() throws(JSONReadError) -> Connector {
        var connector = Connector(id: nil)
        try object { (reader, key) throws(JSONReadError) in
            switch key {
            case "id": connector.id = try reader.lenientString()
            case "email_domain": connector.emailDomain = try reader.lenientString()
            case "created_on": connector.createdOn = try reader.lenientString()
            case "updated_on": connector.updatedOn = try reader.lenientString()
            case "enabled": connector.enabled = try reader.lenientBool()
            case "use_fedramp_language": connector.useFedrampLanguage = try reader.lenientBool()
            case "verification":
                connector.verificationCode = nil
                connector.rawStatus = nil
                guard reader.kind() == .object else { return try reader.skipValue() }
                try reader.object { (reader, key) throws(JSONReadError) in
                    switch key {
                    case "code": connector.verificationCode = try reader.lenientString()
                    case "status": connector.rawStatus = try reader.lenientString()
                    default: try reader.skipValue()
                    }
                }
            default: try reader.skipValue()
            }
        }
        return connector
    }

    /// An `errors` array: objects (`code`, `message`, `error_chain`) and plain strings; other items are
    /// dropped, and anything but an array is no messages.
    fileprivate mutating func messages() throws(JSONReadError) -> [CloudflareMessage] {
        guard kind() == .array else {
            try skipValue()
            return []
        }
        return try array { (reader) throws(JSONReadError) -> CloudflareMessage? in try reader.message() }
            .compactMap { $0 }
    }

    fileprivate mutating func message() throws(JSONReadError) -> CloudflareMessage? {
        switch kind() {
        case .string: return CloudflareMessage(code: nil, message: try string())
        case .object:
            var code: Int?
            var message: String?
            var chain: [CloudflareMessage] = []
            try object { (reader, key) throws(JSONReadError) in
                switch key {
                case "code":
                    // A number, or a number in a string (`"10000"`).
                    code = reader.kind() == .string ? Int(try reader.string()) : try reader.wholeNumber()
                case "message": message = try reader.lenientString()
                case "error_chain": chain = try reader.messages()
                default: try reader.skipValue()
                }
            }
            return CloudflareMessage(code: code, message: message ?? "(no message)", chain: chain)
        default:
            try skipValue()
            return nil
        }
    }
}
