import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchModel
@testable import SSOWatchState

/// The decoder of Cloudflare's answers reads a list as Foundation's `JSONSerialization` (the oracle) parses it,
/// with the types checked as ssowatch needs them: a field of another type counts as missing.
@Suite struct CloudflareAnswerTests {
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

    /// The oracle: `JSONSerialization`, then casts that keep JSON's booleans and numbers apart (it gives
    /// `NSNumber` for both); `nil` when it is not a successful list whose entries are all objects.
    private static func reference(_ body: [UInt8]) -> (connectors: [Connector], totalCount: Int?)? {
        guard let envelope = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            bool(envelope["success"]) == true, let array = envelope["result"] as? [Any]
        else { return nil }
        let objects = array.compactMap { $0 as? [String: Any] }
        guard objects.count == array.count else { return nil }
        let total = ((envelope["result_info"] as? [String: Any])?["total_count"] as? NSNumber).flatMap { number in
            bool(number) == nil && number.doubleValue.rounded() == number.doubleValue ? number.intValue : nil
        }
        let connectors = objects.map { object in
            let verification = object["verification"] as? [String: Any]
            return Connector(
                id: object["id"] as? String, emailDomain: object["email_domain"] as? String,
                enabled: bool(object["enabled"]), createdOn: object["created_on"] as? String,
                updatedOn: object["updated_on"] as? String, useFedrampLanguage: bool(object["use_fedramp_language"]),
                verificationCode: verification?["code"] as? String, rawStatus: verification?["status"] as? String)
        }
        return (connectors, total)
    }

    /// A JSON boolean (not a number that `as? Bool` would also accept).
    private static func bool(_ value: Any?) -> Bool? {
        guard let number = value as? NSNumber,
            String(cString: number.objCType) == String(cString: NSNumber(value: true).objCType),
            number == NSNumber(value: true) || number == NSNumber(value: false)
        else { return nil }
        return number.boolValue
    }

    private static func decode(_ body: [UInt8]) -> (connectors: [Connector], totalCount: Int?)? {
        guard let answer = try? CloudflareAnswer(body, expecting: .list), answer.success == true,
            case .list(let connectors, skipped: 0) = answer.result
        else { return nil }
        return (connectors, answer.totalCount)
    }

    @Test func readsWhatJSONSerializationReads() throws {
        let bytes = Array(Self.body.utf8)
        let read = try #require(Self.decode(bytes))
        let reference = try #require(Self.reference(bytes))
        #expect(read.connectors == reference.connectors)
        #expect(read.totalCount == reference.totalCount)
        #expect(read.connectors.count == 3)
        #expect(read.connectors[1].emailDomain == "bücher.example")
        #expect(read.connectors[2].emailDomain == "quote\"d\\.example")
        #expect(read.connectors[2].rawStatus == "revoked")
        #expect(read.totalCount == 3)
    }

    @Test func variationsReadAsJSONSerializationReadsThem() throws {
        let variants: [(String, String)] = [
            (
                "a repeated key (the last counts)",
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
        ]
        for (what, text) in variants {
            #expect(text != Self.body, "\(what): the variant differs")
            let read = try #require(Self.decode(Array(text.utf8)), "\(what)")
            let reference = try #require(Self.reference(Array(text.utf8)), "\(what)")
            #expect(read.connectors == reference.connectors, "\(what)")
            #expect(read.totalCount == reference.totalCount, "\(what)")
        }
    }

    @Test func whatIsNotAListOfConnectorsIsToldApart() throws {
        let failure = Self.body.replacingOccurrences(of: #""success":true"#, with: #""success":false"#)
        #expect(try CloudflareAnswer(Array(failure.utf8), expecting: .list).success == false)
        let entry = Self.body.replacingOccurrences(of: #""result":["#, with: #""result":[1,"#)
        guard case .list(let connectors, let skipped) = try CloudflareAnswer(Array(entry.utf8), expecting: .list).result
        else {
            Issue.record("expected a list")
            return
        }
        #expect(connectors.count == 3 && skipped == 1)
        for text in [#"{"success":true,"errors":[],"result":{}}"#, #"{"success":true,"errors":[]}"#] {
            #expect(try CloudflareAnswer(Array(text.utf8), expecting: .list).result.list == nil, "\(text)")
        }
        #expect(throws: JSONReadError.self) { try CloudflareAnswer(Array((Self.body + "x").utf8), expecting: .list) }
    }

    /// Thousands of damaged copies: whenever the reader reads a list, `JSONSerialization` reads the same; whenever
    /// it finds no JSON, neither does `JSONSerialization`.
    @Test func readsDamagedCopiesAsJSONSerializationDoes() {
        let original = Array(Self.body.utf8)
        var accepted = 0
        for bytes in damagedCopies(of: original, count: 3_000, seed: 0xC0FFEE) {
            guard let read = Self.decode(bytes) else { continue }
            accepted += 1
            let reference = Self.reference(bytes)
            #expect(reference != nil, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(read.connectors == reference?.connectors, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(read.totalCount == reference?.totalCount)
        }
        #expect(accepted > 0, "some damage is harmless (inside a string or a skipped field), and is read")
    }
}
