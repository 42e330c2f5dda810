import SSOWatchConfig
import SSOWatchModel
/// The Slack-style `attachments` entry that Mattermost and Rocket.Chat share: a coloured bar with a
/// title, Markdown text and short/long `fields`. The fallback and footer are plain text with mention and
/// link syntax broken; the title is in `titleMarkup` (Mattermost renders links in titles, so it is escaped
/// like the text there).
enum SlackStyleAttachment {
    /// No single value needs more; the service's total limit is checked on the whole message.
    static let valueLimit = 4000

    /// The attachment for one event or test message.
    static func single(_ text: ChatText, markup: Markup, titleMarkup: Markup, fallback: Bool) -> JSONValue {
        var body = markup.render(text.summary)
        if let action = text.action { body += "\n\n" + markup.render(action) }
        let fields = text.facts.map { fact -> JSONValue in
            .obj([
                "short": .bool(!fact.label.hasPrefix("TXT")),
                "title": .string(Layout.field(fact.label, valueLimit)),
                "value": .string(Layout.field(markup.render(fact.value), valueLimit)),
            ])
        }
        return attachment(
            fallback: fallback ? Markup.plainDefused.render(text.fallback) : nil, tone: text.tone,
            title: Layout.title(emoji: text.emoji, text.title, markup: titleMarkup),
            text: Layout.field(body, valueLimit),
            fields: fields, footer: fallback ? Markup.plainDefused.render(text.footer) : nil)
    }

    /// The attachment for a batch showing its first `shown` lines; its text is not truncated.
    static func batch(
        _ batch: BatchText, shown: Int, markup: Markup, titleMarkup: Markup, fallback: Bool
    ) -> JSONValue {
        var body = ""
        if let action = batch.action { body = markup.render(action) + "\n\n" }
        body += Layout.batchLines(batch, shown: shown, markup: markup).joined(separator: "\n")
        return attachment(
            fallback: fallback ? Markup.plainDefused.render(batch.summary) : nil, tone: batch.tone,
            title: Layout.title(emoji: batch.emoji, batch.title, markup: titleMarkup), text: body, fields: [],
            footer: fallback ? Markup.plainDefused.render(batch.footer) : nil)
    }

    private static func attachment(
        fallback: String?, tone: Tone, title: String, text: String, fields: [JSONValue], footer: String?
    ) -> JSONValue {
        var members: [JSONValue.Member] = []
        // Plain text, shown in notifications.
        if let fallback {
            members.append(.init(key: "fallback", value: .string(Layout.field(fallback, valueLimit))))
        }
        members += [
            .init(key: "color", value: .string(tone.hex)),
            .init(key: "title", value: .string(Layout.field(title, valueLimit))),
            .init(key: "text", value: .string(text)),
        ]
        if !fields.isEmpty { members.append(.init(key: "fields", value: .array(fields))) }
        if let footer { members.append(.init(key: "footer", value: .string(Layout.field(footer, valueLimit)))) }
        return .object(members)
    }
}
