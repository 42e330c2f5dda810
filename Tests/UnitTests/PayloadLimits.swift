import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// Checks a rendered request against the service's documented limits (reference/webhooks.md),
/// measured independently of the renderers: the body is parsed and every element counted.
enum PayloadLimits {
    static func check(
        _ type: WebhookType, _ request: RenderedRequest, sourceLocation: SourceLocation = #_sourceLocation
    )
        throws
    {
        #expect(request.method == "POST", sourceLocation: sourceLocation)
        #expect(request.header("User-Agent") == SSOWatchVersion.userAgent, sourceLocation: sourceLocation)
        for header in request.headers {
            #expect(
                !header.value.contains(where: { $0 == "\r" || $0 == "\n" }), "\(type) header \(header.name)",
                sourceLocation: sourceLocation)
        }
        #expect(
            String(validating: request.body, as: UTF8.self) != nil, "body is not UTF-8", sourceLocation: sourceLocation)
        if type == .ntfy {
            try ntfy(request, sourceLocation)
            return
        }
        #expect(request.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        let json = try NotifyFixtures.json(request, sourceLocation: sourceLocation)
        switch type {
        case .slack: try slack(json, request, sourceLocation)
        case .discord: try discord(json, sourceLocation)
        case .teams: try teams(json, request, sourceLocation)
        case .googleChat: try googleChat(json, request, sourceLocation)
        case .mattermost: total(json, 16_383, sourceLocation)
        case .rocketchat: total(json, 5000, sourceLocation)
        case .generic, .ntfy: break
        }
    }

    private static func slack(_ json: [String: Any], _ request: RenderedRequest, _ loc: SourceLocation) throws {
        let blocks = try #require(json["blocks"] as? [[String: Any]], sourceLocation: loc)
        #expect((1...50).contains(blocks.count), "blocks: \(blocks.count)", sourceLocation: loc)
        #expect((1...40_000).contains(NotifyFixtures.utf16(json["text"])), sourceLocation: loc)
        #expect(request.body.count <= 16_000, "body \(request.body.count) bytes", sourceLocation: loc)
        for block in blocks {
            let text = block["text"] as? [String: Any]
            switch block["type"] as? String {
            case "header":
                #expect(text?["type"] as? String == "plain_text", sourceLocation: loc)
                #expect((1...150).contains(NotifyFixtures.utf16(text?["text"])), sourceLocation: loc)
            case "section":
                if let text { #expect((1...3000).contains(NotifyFixtures.utf16(text["text"])), sourceLocation: loc) }
                let fields = block["fields"] as? [[String: Any]] ?? []
                #expect(text != nil || !fields.isEmpty, sourceLocation: loc)
                #expect(fields.count <= 10, sourceLocation: loc)
                for field in fields {
                    #expect((1...2000).contains(NotifyFixtures.utf16(field["text"])), sourceLocation: loc)
                }
            case "context":
                let elements = block["elements"] as? [[String: Any]] ?? []
                #expect((1...10).contains(elements.count), sourceLocation: loc)
            default:
                Issue.record("unexpected block \(block)", sourceLocation: loc)
            }
        }
    }

    private static func discord(_ json: [String: Any], _ loc: SourceLocation) throws {
        let mentions = json["allowed_mentions"] as? [String: Any]
        #expect((mentions?["parse"] as? [Any])?.isEmpty == true, "allowed_mentions", sourceLocation: loc)
        #expect(NotifyFixtures.utf16(json["content"]) <= 2000, sourceLocation: loc)
        let embeds = try #require(json["embeds"] as? [[String: Any]], sourceLocation: loc)
        #expect((1...10).contains(embeds.count), sourceLocation: loc)
        var total = 0
        for embed in embeds {
            let title = NotifyFixtures.utf16(embed["title"])
            let description = NotifyFixtures.utf16(embed["description"])
            let footer = NotifyFixtures.utf16((embed["footer"] as? [String: Any])?["text"])
            #expect(title <= 256 && description <= 4096 && footer <= 2048, sourceLocation: loc)
            #expect(embed["color"] is Int, sourceLocation: loc)
            let fields = embed["fields"] as? [[String: Any]] ?? []
            #expect(fields.count <= 25, sourceLocation: loc)
            total += title + description + footer
            for field in fields {
                let name = NotifyFixtures.utf16(field["name"])
                let value = NotifyFixtures.utf16(field["value"])
                #expect((1...256).contains(name) && (1...1024).contains(value), sourceLocation: loc)
                total += name + value
            }
        }
        #expect(total <= 6000, "embed text \(total)", sourceLocation: loc)
    }

    private static func teams(_ json: [String: Any], _ request: RenderedRequest, _ loc: SourceLocation) throws {
        #expect(request.body.count <= 20_000, "body \(request.body.count) bytes", sourceLocation: loc)
        #expect(json["type"] as? String == "message", sourceLocation: loc)
        let attachment = try #require((json["attachments"] as? [[String: Any]])?.first, sourceLocation: loc)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive", sourceLocation: loc)
        #expect(attachment.keys.contains("contentUrl"), sourceLocation: loc)
        let card = try #require(attachment["content"] as? [String: Any], sourceLocation: loc)
        #expect(card["version"] as? String == "1.5" && card["type"] as? String == "AdaptiveCard", sourceLocation: loc)
        let text = String(decoding: request.body, as: UTF8.self)
        #expect(!text.contains("Action.Submit") && !text.contains("Action.Execute"), sourceLocation: loc)
        for block in card["body"] as? [[String: Any]] ?? [] where block["type"] as? String == "TextBlock" {
            #expect(block["wrap"] as? Bool == true, sourceLocation: loc)
        }
    }

    private static func googleChat(_ json: [String: Any], _ request: RenderedRequest, _ loc: SourceLocation) throws {
        #expect(request.body.count <= 32_000, "body \(request.body.count) bytes", sourceLocation: loc)
        #expect((1...4096).contains(NotifyFixtures.utf16(json["text"])), sourceLocation: loc)
        let card = try #require((json["cardsV2"] as? [[String: Any]])?.first, sourceLocation: loc)
        #expect(card["cardId"] is String, sourceLocation: loc)
        let sections = (card["card"] as? [String: Any])?["sections"] as? [[String: Any]] ?? []
        #expect(!sections.isEmpty, sourceLocation: loc)
    }

    private static func total(_ json: [String: Any], _ limit: Int, _ loc: SourceLocation) {
        let total = NotifyFixtures.strings(in: json).reduce(0) { $0 + $1.utf16.count }
        #expect(total <= limit, "\(total) characters", sourceLocation: loc)
        #expect(json["attachments"] is [[String: Any]], sourceLocation: loc)
    }

    private static func ntfy(_ request: RenderedRequest, _ loc: SourceLocation) throws {
        #expect(request.body.count <= 4096, "body \(request.body.count) bytes", sourceLocation: loc)
        #expect(request.header("Content-Type")?.hasPrefix("text/plain") == true, sourceLocation: loc)
        for name in ["Title", "Priority", "Tags"] {
            let value = try #require(request.header(name), "\(name)", sourceLocation: loc)
            #expect(!value.isEmpty && value.allSatisfy(\.isASCII), "\(name): \(value)", sourceLocation: loc)
        }
        for word in request.header("Title")!.split(separator: " ") where word.hasPrefix("=?") {
            #expect(word.count <= 75, "encoded word \(word)", sourceLocation: loc)
        }
    }

    /// Decodes an RFC 2047 `Title` (encoded words separated by spaces) back to text.
    static func decodeRFC2047(_ value: String) -> String {
        guard value.hasPrefix("=?UTF-8?B?") else { return value }
        let bytes = value.split(separator: " ").flatMap { word -> [UInt8] in
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return Array(Data(base64Encoded: String(base64)) ?? Data())
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
