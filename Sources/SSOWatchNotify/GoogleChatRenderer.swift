import SSOWatchConfig
import SSOWatchModel
/// Google Chat incoming webhooks: `text` in Chat's own markup (≤ 4096 characters, the notification
/// line) plus one `cardsV2` card whose paragraphs use Chat's HTML subset. Whole message ≤ 32,000 bytes.
struct GoogleChatRenderer: JSONChatRenderer {
    static let textLimit = 4096
    static let maxBodyBytes = 32_000
    /// A paragraph is kept to this many characters; lists are split over several.
    static let paragraphLimit = 4000

    func payload(_ text: ChatText) -> JSONValue {
        let html = Markup.chatCardHTML
        var sections = [widgets([paragraph(html.render(text.summary))])]
        sections.append(
            widgets(
                text.facts.map { fact in
                    var value = html.render(fact.value)
                    if fact.label == "Status" { value = "<font color=\"\(text.tone.hex)\">\(value)</font>" }
                    return .obj([
                        "decoratedText": .obj([
                            "topLabel": .string(Layout.field(fact.label, Self.paragraphLimit)),
                            "text": .string(Layout.field(value, Self.paragraphLimit)),
                            "wrapText": .bool(true),
                        ])
                    ])
                }))
        if let action = text.action { sections.append(widgets([paragraph(html.render(action))])) }
        sections.append(widgets([paragraph(footer(html.render(text.footer)))]))
        return message(
            text: Markup.chatText.render(text.fallback), title: Layout.title(emoji: text.emoji, text.title),
            cardID: cardID(for: text.id), sections: sections)
    }

    func payload(_ batch: BatchText, shown: Int) -> JSONValue {
        let html = Markup.chatCardHTML
        var first = [paragraph(html.render(batch.summary))]
        if let action = batch.action { first.append(paragraph(html.render(action))) }
        let lines = Layout.batchLines(batch, shown: shown, markup: html)
        let list = Layout.pack(lines, limit: Self.paragraphLimit).map {
            paragraph($0.replacingOccurrences(of: "\n", with: "<br>"), truncate: false)
        }
        return message(
            text: Markup.chatText.render(batch.summary), title: Layout.title(emoji: batch.emoji, batch.title),
            cardID: "ssowatch-batch",
            sections: [widgets(first), widgets(list), widgets([paragraph(footer(html.render(batch.footer)))])])
    }

    func fits(_ payload: JSONValue) -> Bool { payload.bytes.count <= Self.maxBodyBytes }

    private func message(text: String, title: String, cardID: String, sections: [JSONValue]) -> JSONValue {
        .obj([
            "text": .string(Layout.field(text, Self.textLimit)),
            "cardsV2": .array([
                .obj([
                    "cardId": .string(cardID),
                    "card": .obj([
                        "header": .obj([
                            "title": .string(Layout.field(title, Self.paragraphLimit)),
                            "subtitle": .string("Cloudflare SSO domain verification"),
                        ]),
                        "sections": .array(sections),
                    ]),
                ])
            ]),
        ])
    }

    private func widgets(_ widgets: [JSONValue]) -> JSONValue { .obj(["widgets": .array(widgets)]) }

    private func paragraph(_ html: String, truncate: Bool = true) -> JSONValue {
        let text = truncate ? Layout.field(html, Self.paragraphLimit) : html
        return .obj(["textParagraph": .obj(["text": .string(text)])])
    }

    private func footer(_ html: String) -> String { "<font color=\"\(Tone.neutral.hex)\">\(html)</font>" }

    /// A card id made of the characters Chat accepts.
    private func cardID(for id: String) -> String {
        let safe = id.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        return "ssowatch-\(safe.prefix(64))"
    }
}
