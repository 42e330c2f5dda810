import Foundation
import Testing

@testable import SSOWatchCore

/// User-controlled strings cannot ping, link or format anything in any service's markup.
@Suite struct NotifyEscapingTests {
    static let hostile = "<!channel> @everyone *bold* _it_ ~s~ |x| `c` <script>alert(1)</script> <users/all>"

    static func strings(_ type: WebhookType, kind: EventKind = .failed, domain: String = hostile) throws -> [String] {
        let event = NotifyFixtures.event(kind, domain: domain)
        return NotifyFixtures.strings(in: try NotifyFixtures.json(NotifyFixtures.render(type, .events([event]))[0]))
    }

    @Test func slackEscapesOnlyAmpersandAndAngleBrackets() throws {
        // Everything but the header, which is plain_text: Slack shows it as is and parses nothing in it.
        let strings = try Self.strings(.slack).filter { !$0.hasPrefix("🚨 <!channel>") }
        let joined = strings.joined(separator: "\n")
        #expect(!joined.contains("<!channel>") && !joined.contains("<script>"))
        #expect(joined.contains("&lt;!channel&gt; @everyone *bold* _it_ ~s~ |x|"))
        #expect(joined.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // The header is plain_text, where Slack shows text as is.
        let json = try NotifyFixtures.json(NotifyFixtures.render(.slack, .events([NotifyFixtures.event(.failed)]))[0])
        let header = ((json["blocks"] as? [[String: Any]])?.first?["text"] as? [String: Any])?["text"] as? String
        #expect(header == "🚨 example.com failed verification")
    }

    @Test func discordEscapesMarkdownAndBreaksMentions() throws {
        let strings = try Self.strings(.discord)
        let joined = strings.joined(separator: "\n")
        #expect(!joined.contains("@everyone") && !joined.contains("<!channel>"))
        #expect(joined.contains("\\<!channel\\> @\u{200B}everyone \\*bold\\* \\_it\\_ \\~s\\~ \\|x\\| \\`c\\`"))
        let json = try NotifyFixtures.json(NotifyFixtures.render(.discord, .events([NotifyFixtures.event(.failed)]))[0])
        #expect((json["allowed_mentions"] as? [String: Any])?["parse"] as? [Any] != nil)
        #expect(((json["allowed_mentions"] as? [String: Any])?["parse"] as? [Any])?.isEmpty == true)
    }

    @Test func teamsEscapesMarkdown() throws {
        let joined = try Self.strings(.teams).joined(separator: "\n")
        #expect(joined.contains("\\*bold\\* \\_it\\_ \\~s\\~"))
        #expect(!joined.contains(" *bold* "))
    }

    @Test func googleChatEscapesHTMLInCardsAndBreaksMarkupInText() throws {
        let json = try NotifyFixtures.json(
            NotifyFixtures.render(.googleChat, .events([NotifyFixtures.event(.failed, domain: Self.hostile)]))[0])
        let text = try #require(json["text"] as? String)
        #expect(!text.contains("<users/all>") && !text.contains("*bold*") && !text.contains("<!channel>"))
        // The card header is plain text (no HTML), so everything else is checked.
        let card = (json["cardsV2"] as? [[String: Any]])?.first?["card"] as? [String: Any]
        let cards = NotifyFixtures.strings(in: card?["sections"] as Any).joined(separator: "\n")
        #expect(!cards.contains("<script>") && !cards.contains("<users/all>"))
        #expect(cards.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test(arguments: [WebhookType.mattermost, .rocketchat])
    func slackStyleServicesBreakMentions(type: WebhookType) throws {
        let domain = "@channel @all @here @everyone *x*"
        let joined = try Self.strings(type, domain: domain).joined(separator: "\n")
        for mention in ["@channel", "@all", "@here", "@everyone"] {
            #expect(!joined.contains(mention), "\(type) \(mention)")
        }
        // The message text is Markdown: the asterisks must not pair up (titles are plain text).
        let json = try NotifyFixtures.json(
            NotifyFixtures.render(type, .events([NotifyFixtures.event(.failed, domain: domain)]))[0])
        let text = try #require(json["text"] as? String)
        #expect(text.utf8.firstRange(of: Array(" *x* ".utf8)) == nil, "\(text)")
        #expect(text.utf8.firstRange(of: Array("@everyone".utf8)) == nil, "\(text)")
    }

    @Test func ntfyHeadersAreSingleLineASCIIAndDecodeToTheTitle() throws {
        let request = NotifyFixtures.render(
            .ntfy, .events([NotifyFixtures.event(.failed, domain: "bücher.example\r\nX: 1")]))[0]
        let title = try #require(request.header("Title"))
        #expect(title.hasPrefix("=?UTF-8?B?"))
        #expect(PayloadLimits.decodeRFC2047(title) == "bücher.example X: 1 failed verification")
        #expect(request.header("Priority") == "high")
        #expect(request.header("Tags") == "rotating_light")
        let ascii = NotifyFixtures.render(.ntfy, .events([NotifyFixtures.event(.verified)]))[0]
        #expect(ascii.header("Title") == "example.com is verified")
        #expect(ascii.header("Priority") == "default")
        #expect(ascii.header("Tags") == "white_check_mark")
    }

    @Test func longNonASCIITitlesAreSplitIntoValidEncodedWords() throws {
        let domain = String(repeating: "ü😀", count: 60) + ".example"
        let title = try #require(
            NotifyFixtures.render(.ntfy, .events([NotifyFixtures.event(.verified, domain: domain)]))[0].header("Title"))
        let words = title.split(separator: " ")
        #expect(
            words.count > 1 && words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        #expect(PayloadLimits.decodeRFC2047(title) == "\(domain) is verified")
    }

    @Test func genericBodiesCarryValuesUnchanged() throws {
        let event = NotifyFixtures.event(.failed, domain: Self.hostile)
        let json = try NotifyFixtures.json(NotifyFixtures.render(.generic, .events([event]))[0])
        let connector = (json["data"] as? [String: Any])?["connector"] as? [String: Any]
        #expect(connector?["email_domain"] as? String == Self.hostile)
    }

    @Test func escapersHandleEachCharacter() {
        #expect(Escaping.htmlEntities("a&b<c>d") == "a&amp;b&lt;c&gt;d")
        #expect(Escaping.breakMentions("@here a@b @ x") == "@\u{200B}here a@\u{200B}b @ x")
        #expect(Markup.discord.render([.value("-list #h")]) == "\\-list \\#h")
        #expect(Markup.slack.render([.code("a`b")]) == "a`b")
        #expect(Markup.slack.render([.strong([.value("<x>")]), .code("&")]) == "*&lt;x&gt;*`&amp;`")
        #expect(Escaping.headerValue(" a\r\n\tb\u{2028}c ") == "a b c")
    }
}
