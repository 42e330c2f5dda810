import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel
@testable import SSOWatchState

/// The fast connector-list reader may only make polls cheaper: whatever it reads must be what the
/// `JSONSerialization` path reads, and whatever it is unsure of it leaves to that path.
@Suite struct ConnectorListReaderTests {
    /// A list as Cloudflare sends it: every field, nulls, escapes, a non-ASCII domain, fields ssowatch does not
    /// use (nested ones too), messages, and `result_info`.
    private static let body = #"""
        {"success":true,"errors":[],"messages":[{"code":1,"message":"note","meta":{"a":[1,2.5e3,null]}}],
        "result":[
        {"id":"0123456789abcdef0123456789abcdef","email_domain":"example.com","enabled":false,
         "created_on":"2026-11-27T10:00:00Z","updated_on":"2026-11-28T10:00:00.123Z","use_fedramp_language":null,
         "verification":{"code":"cloudflare_dashboard_sso=0123","status":"pending","extra":{"x":true}},
         "shiny_new_field":[{"deep":[[]]}]},
        {"id":"fedcba9876543210fedcba9876543210","email_domain":"b\u00fccher.example","enabled":true,
         "verification":null},
        {"email_domain":"quote\"d\\.example","verification":{"status":"revoked"}}
        ],
        "result_info":{"count":3,"page":1,"per_page":3,"total_count":3}}
        """#

    /// What the client decoded before the fast reader: `JSONSerialization`, then the casts.
    private static func reference(_ body: [UInt8]) -> (connectors: [Connector], totalCount: Int?)? {
        let response = HTTPResponseSpec(status: 200, body: body)
        guard let envelope = try? CloudflareClient.decodeEnvelope(response, operation: "GET /x"),
            let array = envelope["result"] as? [Any]
        else { return nil }
        let objects = array.compactMap { $0 as? [String: Any] }
        guard objects.count == array.count else { return nil }
        let total = (envelope["result_info"] as? [String: Any])?["total_count"] as? Int
        return (objects.map(CloudflareClient.decodeConnector), total)
    }

    @Test func readsWhatJSONSerializationReads() throws {
        let bytes = Array(Self.body.utf8)
        let fast = try #require(ConnectorListReader.decode(bytes))
        let reference = try #require(Self.reference(bytes))
        #expect(fast.connectors == reference.connectors)
        #expect(fast.totalCount == reference.totalCount)
        #expect(fast.connectors.count == 3)
        #expect(fast.connectors[1].emailDomain == "bücher.example")
        #expect(fast.connectors[2].emailDomain == "quote\"d\\.example")
        #expect(fast.connectors[2].rawStatus == "revoked")
        #expect(fast.totalCount == 3)
    }

    @Test func leavesEverythingElseToJSONSerialization() {
        let variants: [(String, String)] = [
            ("a failure", Self.body.replacingOccurrences(of: #""success":true"#, with: #""success":false"#)),
            (
                "a repeated key",
                Self.body.replacingOccurrences(of: #""enabled":true"#, with: #""enabled":true,"enabled":false"#)
            ),
            (
                "a numeric id",
                Self.body.replacingOccurrences(of: #""id":"fedcba9876543210fedcba9876543210""#, with: #""id":7"#)
            ),
            (
                "a string for a boolean",
                Self.body.replacingOccurrences(of: #""enabled":false"#, with: #""enabled":"false""#)
            ),
            (
                "a total count with a fraction",
                Self.body.replacingOccurrences(of: #""total_count":3"#, with: #""total_count":3.0"#)
            ),
            (
                "an entry that is not an object",
                Self.body.replacingOccurrences(of: #""result":["#, with: #""result":[1,"#)
            ),
            ("a result that is not a list", #"{"success":true,"errors":[],"result":{}}"#),
            ("no result", #"{"success":true,"errors":[]}"#),
            ("trailing text", Self.body + "x"),
        ]
        for (what, text) in variants {
            #expect(text != Self.body, "\(what): the variant differs")
            #expect(ConnectorListReader.decode(Array(text.utf8)) == nil, "\(what)")
        }
    }

    /// Thousands of damaged copies: whenever the fast reader accepts one, the full decoder reads the same.
    @Test func neverAcceptsWhatJSONSerializationReadsDifferently() {
        let original = Array(Self.body.utf8)
        var accepted = 0
        for bytes in damagedCopies(of: original, count: 3_000, seed: 0xC0FFEE) {
            guard let fast = ConnectorListReader.decode(bytes) else { continue }
            accepted += 1
            let reference = Self.reference(bytes)
            #expect(reference != nil, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(fast.connectors == reference?.connectors)
            #expect(fast.totalCount == reference?.totalCount)
        }
        #expect(accepted > 0, "some damage is harmless (inside a string or a skipped field), and is read")
    }
}
