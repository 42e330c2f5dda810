import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// User-controlled strings cannot ping, link or format anything in any service's markup.
@Suite struct NotifyEscapingTests {
    static let hostile = "<!channel> @everyone *bold* _it_ ~s~ |x| `c` <script>alert(1)</script> <users/all>"

    static func strings(_ type: WebhookType, kind: EventKind = .failed, domain: String = hostile) throws -> [String] {
        let event = NotifyFixtures.event(kind, domain: domain)
        return NotifyFixtures.strings(in: try NotifyFixtures.json(NotifyFixtures.render(type, .events([event]))[0]))
    }

    @Test func slackEscapesAmpersandAndAngleBracketsAndBreaksMentions() throws {
        // Everything but the header, which is plain_text: Slack shows it as is (mention syntax broken).
        let strings = try Self.strings(.slack).filter { !$0.hasPrefix("🚨 <\u{200B}!channel>") }
        let joined = strings.joined(separator: "\n")
        #expect(!joined.contains("<!channel>") && !joined.contains("<script>"))
        #expect(joined.contains("&lt;!channel&gt; @\u{200B}everyone *bold* _it_ ~s~ |x|"))
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
        #expect(cards.contains("&lt;\u{200B}script&gt;alert(1)&lt;\u{200B}/script&gt;"))
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

    // MARK: - Every field of every chat service

    /// How a service reads one field of its payload.
    enum FieldKind: Equatable {
        /// Shown as is, yet scanned for mentions and links by some services.
        case plain
        /// Markdown with backslash escapes (Discord, Teams, Mattermost).
        case markdown
        /// Slack mrkdwn: only `&`, `<`, `>` can be escaped (reference/webhooks.md); formatting characters
        /// stay, but no mention or link can form.
        case slackMrkdwn
        /// Rocket.Chat's and Google Chat's text markup, which has no escape character.
        case chatText
        /// Google Chat's card HTML.
        case cardHTML
        /// Not text (a colour, a card id).
        case ignored
    }

    static func kind(of path: String, in type: WebhookType) -> FieldKind {
        if ["color", "cardId", "timestamp", "contentType", "$schema", "type", "version", "width", "alias"].contains(
            path.split(separator: ".").last.map(String.init) ?? "")
        {
            return .ignored
        }
        return switch type {
        case .slack: path == "blocks[0].text.text" ? .plain : .slackMrkdwn
        case .discord: path.hasSuffix("footer.text") ? .plain : .markdown
        case .googleChat: path == "text" ? .chatText : path.contains(".header.") ? .plain : .cardHTML
        case .mattermost: path.hasSuffix(".fallback") || path.hasSuffix(".footer") ? .plain : .markdown
        case .rocketchat: path == "text" || path.hasSuffix("].text") || path.hasSuffix(".value") ? .chatText : .plain
        default: .markdown
        }
    }

    /// Every string of a JSON document with its path (`attachments[0].fields[2].value`).
    static func fields(in value: Any, path: String = "") -> [(path: String, text: String)] {
        switch value {
        case let s as String: [(path, s)]
        case let array as [Any]: array.enumerated().flatMap { fields(in: $1, path: "\(path)[\($0)]") }
        case let object as [String: Any]:
            object.flatMap { fields(in: $1, path: path.isEmpty ? $0 : "\(path).\($0)") }
        default: []
        }
    }

    /// Mattermost rewrites Slack syntax in an incoming webhook's text, attachment titles, texts and field
    /// values before it renders them (`ProcessSlackText`): `<!channel>` becomes `@channel`, `<url|label>` a
    /// Markdown link. The same rewriting, so the checks see what Mattermost renders.
    static func mattermostRewrite(_ text: String) -> String {
        var out = text
        for (slack, mention) in [("<!channel>", "@channel"), ("<!here>", "@here"), ("<!all>", "@all")] {
            out = out.replacingOccurrences(of: slack, with: mention)
        }
        let link = /<([^\n<|>]+)\|([^\n>]+)>/
        return out.replacing(link) { match in "[\(match.output.2)](\(match.output.1))" }
    }

    /// Whether `character` occurs without a backslash before it or a zero-width space after it.
    static func occursLive(_ character: Character, in text: String) -> Bool {
        let chars = Array(text)
        return chars.indices.contains { i in
            chars[i] == character && (i == 0 || chars[i - 1] != "\\")
                && (i + 1 == chars.count || chars[i + 1] != "\u{200B}")
        }
    }

    /// What is live in one field: a mention, a link, formatting or a header line that came from a value.
    static func liveMarkup(_ raw: String, kind: FieldKind, type: WebhookType) -> [String] {
        let text = type == .mattermost && kind == .markdown ? mattermostRewrite(raw) : raw
        var found: [String] = []
        if text.contains("\r") { found.append("a CR") }
        if text.split(separator: "\n").contains(where: { $0.hasPrefix("X-Injected") }) { found.append("a new line") }
        let mentions = [
            "<users/all>", "<!channel>", "<!here>", "<@U024BE7LH>", "@here", "@everyone", "@channel", "@all",
        ]
        found += mentions.filter { text.contains($0) }
        if text.contains("[click](") { found.append("a link") }
        switch kind {
        case .ignored:
            return []
        case .plain, .chatText:
            if occursLive("<", in: text) { found.append("`<`") }
            if text.contains("](") { found.append("`](`") }
        case .markdown:
            if occursLive("<", in: text) { found.append("`<`") }
            let chars = Array(text)
            let linkClose = chars.indices.dropLast().contains { i in
                chars[i] == "]" && chars[i + 1] == "(" && (i == 0 || chars[i - 1] != "\\")
            }
            if linkClose { found.append("a live `](`") }
        case .slackMrkdwn:
            if text.contains("<") { found.append("`<`") }
        case .cardHTML:
            let ours = /<\/?b>|<font color="#[0-9A-F]{6}">|<\/font>|<br>/
            let stripped = text.replacing(ours, with: "")
            if stripped.contains("<") { found.append("an HTML tag") }
            let decoded = stripped.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(
                of: "&gt;", with: ">"
            )
            .replacingOccurrences(of: "&amp;", with: "&")
            if occursLive("<", in: decoded) { found.append("`<` once decoded") }
        }
        if [.markdown, .chatText].contains(kind) {
            found += ["*bold*", "_it_", "~s~", "`code`"].filter { text.contains($0) }
            // Adaptive Cards know lists, not headings or quotes.
            let starters = type == .teams ? ["- ", "+ "] : ["#", ">", "- ", "+ "]
            let blockStart = text.split(separator: "\n").contains { line in starters.contains { line.hasPrefix($0) } }
            if blockStart { found.append("a line starting a Markdown block") }
        }
        return found
    }

    /// Every message of a chat type carrying hostile values: each event kind, a batch and a test message.
    static func hostileRequests(_ type: WebhookType) -> [RenderedRequest] {
        let hostile = NotifyFixtures.hostileText
        let singles = EventKind.allCases.flatMap {
            NotifyFixtures.render(type, .events([NotifyFixtures.hostileEvent($0)]))
        }
        return singles + NotifyFixtures.render(type, NotifyFixtures.message("hostile-batch"))
            + NotifyFixtures.render(
                type, .test(webhook: hostile, message: hostile, at: NotifyFixtures.detected))
    }

    static let chatTypes = WebhookType.allCases.filter { $0 != .generic && $0 != .ntfy }

    @Test(arguments: chatTypes)
    func noMentionLinkOrMarkupFromAValueSurvivesInAnyField(type: WebhookType) throws {
        for request in Self.hostileRequests(type) {
            let document = try JSONSerialization.jsonObject(with: Data(request.body))
            for (path, text) in Self.fields(in: document) {
                let found = Self.liveMarkup(text, kind: Self.kind(of: path, in: type), type: type)
                #expect(found.isEmpty, "\(type) \(path): \(found) in \(text.debugDescription)")
            }
        }
    }

    /// ntfy is sent without `Markdown: yes`, so its body is plain text: only a value's line breaks matter
    /// there, and in the `Title` header.
    @Test func ntfyTitlesAndBodiesStayOnTheirLines() {
        for request in Self.hostileRequests(.ntfy) {
            #expect(request.header("Markdown") == nil)
            let title = request.header("Title") ?? ""
            #expect(!title.contains("\r") && !title.contains("\n"), "\(title.debugDescription)")
            #expect(PayloadLimits.decodeRFC2047(title).count <= NtfyRenderer.titleLimit)
            let body = String(decoding: request.body, as: UTF8.self)
            #expect(!body.contains("\r"))
            #expect(!body.split(separator: "\n").contains { $0.hasPrefix("X-Injected") }, "\(body)")
        }
    }

    @Test func defusingBreaksMentionAndLinkSyntaxOnly() {
        #expect(Escaping.defuse("example.com") == "example.com")
        #expect(Escaping.defuse("<!here> [a](b) @all") == "<\u{200B}!here> [a]\u{200B}(b) @\u{200B}all")
        #expect(Escaping.singleLine("a\r\nb\tc\u{2028}d") == "a  b c d")
        #expect(Markup.chatText.render([.value("> q")]) == "\u{200B}> q")
        #expect(Markup.chatText.render([.code("<users/all>")]) == "<\u{200B}users/all>")
        #expect(Markup.teams.render([.value("[a](b)")]) == "\\[a\\]\u{200B}(b)")
    }
}
