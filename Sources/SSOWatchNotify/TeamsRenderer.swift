import SSOWatchConfig
import SSOWatchModel
/// Microsoft Teams Workflows webhooks: an Adaptive Card 1.5 in the `message` envelope, with
/// `TextBlock`s (wrapped) and a `FactSet`; no `Action.Submit`/`Action.Execute`. The whole body is
/// kept under 20 KB (Teams starts failing from about 21 KB).
struct TeamsRenderer: JSONChatRenderer {
    static let maxBodyBytes = 20_000
    /// No single block needs more; a long value is shortened rather than filling the card.
    static let blockLimit = 4000

    func payload(_ text: ChatText) -> JSONValue {
        let md = Markup.teams
        var body = [
            title("\(text.emoji) \(md.render(text.title))", tone: text.tone),
            textBlock(md.render(text.summary)),
            .obj([
                "type": .string("FactSet"),
                "facts": .array(
                    text.facts.map { fact in
                        .obj([
                            "title": .string(Layout.field(fact.label, Self.blockLimit)),
                            "value": .string(Layout.field(md.render(fact.value), Self.blockLimit)),
                        ])
                    }),
            ]),
        ]
        if let action = text.action { body.append(textBlock(md.render(action))) }
        body.append(footer(md.render(text.footer)))
        return envelope(body)
    }

    func payload(_ batch: BatchText, shown: Int) -> JSONValue {
        let md = Markup.teams
        var body = [
            title("\(batch.emoji) \(md.render(batch.title))", tone: batch.tone), textBlock(md.render(batch.summary)),
        ]
        if let action = batch.action { body.append(textBlock(md.render(action))) }
        body += Layout.batchLines(batch, shown: shown, markup: md).map { line in
            .obj([
                "type": .string("TextBlock"), "text": .string(Layout.field(line, Self.blockLimit)),
                "spacing": .string("Small"), "wrap": .bool(true),
            ])
        }
        body.append(footer(md.render(batch.footer)))
        return envelope(body)
    }

    func fits(_ payload: JSONValue) -> Bool { payload.bytes.count <= Self.maxBodyBytes }

    private func envelope(_ body: [JSONValue]) -> JSONValue {
        .obj([
            "type": .string("message"),
            "attachments": .array([
                .obj([
                    "contentType": .string("application/vnd.microsoft.card.adaptive"),
                    "contentUrl": .null,
                    "content": .obj([
                        "$schema": .string("http://adaptivecards.io/schemas/adaptive-card.json"),
                        "type": .string("AdaptiveCard"),
                        "version": .string("1.5"),
                        "body": .array(body),
                        "msteams": .obj(["width": .string("Full")]),
                    ]),
                ])
            ]),
        ])
    }

    private func title(_ text: String, tone: Tone) -> JSONValue {
        .obj([
            "type": .string("TextBlock"), "text": .string(Layout.field(text, Self.blockLimit)),
            "size": .string("Large"), "weight": .string("Bolder"), "color": .string(tone.cardColor),
            "wrap": .bool(true),
        ])
    }

    private func textBlock(_ text: String) -> JSONValue {
        .obj(["type": .string("TextBlock"), "text": .string(Layout.field(text, Self.blockLimit)), "wrap": .bool(true)])
    }

    private func footer(_ text: String) -> JSONValue {
        .obj([
            "type": .string("TextBlock"), "text": .string(Layout.field(text, Self.blockLimit)),
            "size": .string("Small"), "isSubtle": .bool(true), "wrap": .bool(true),
        ])
    }
}
