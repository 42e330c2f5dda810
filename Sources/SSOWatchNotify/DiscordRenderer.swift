import Foundation
import SSOWatchConfig
import SSOWatchModel

/// Discord execute-webhook: one embed with an integer `color` and ISO `timestamp`, and
/// `allowed_mentions: {"parse": []}` so nothing in it can ping anyone. Limits: title 256,
/// description 4096, ≤ 25 fields (name 256, value 1024), footer 2048, all embed text ≤ 6000.
struct DiscordRenderer: JSONChatRenderer {
    static let titleLimit = 256
    static let descriptionLimit = 4096
    static let maxFields = 25
    static let fieldNameLimit = 256
    static let fieldValueLimit = 1024
    static let footerLimit = 2048
    static let embedTotalLimit = 6000

    func payload(_ text: ChatText) -> JSONValue {
        let md = Markup.discord
        var description = md.render(text.summary)
        if let action = text.action { description += "\n\n" + md.render(action) }
        let fields = text.facts.prefix(Self.maxFields).map { fact -> JSONValue in
            .obj([
                "name": .string(Layout.field(fact.label, Self.fieldNameLimit)),
                "value": .string(Layout.field(md.render(fact.value), Self.fieldValueLimit)),
                "inline": .bool(!fact.label.hasPrefix("TXT")),
            ])
        }
        return message(
            title: Layout.field("\(text.emoji) \(md.render(text.title))", Self.titleLimit),
            description: Layout.field(description, Self.descriptionLimit), fields: fields, text: text.footer,
            tone: text.tone, date: text.date)
    }

    func payload(_ batch: BatchText, shown: Int) -> JSONValue {
        let md = Markup.discord
        var description = md.render(batch.summary)
        if let action = batch.action { description += "\n\n" + md.render(action) }
        description += "\n\n" + Layout.batchLines(batch, shown: shown, markup: md).joined(separator: "\n")
        return message(
            title: Layout.field("\(batch.emoji) \(md.render(batch.title))", Self.titleLimit),
            description: description, fields: [], text: batch.footer, tone: batch.tone, date: batch.date)
    }

    func fits(_ payload: JSONValue) -> Bool {
        payload["embeds"]?.items.allSatisfy { embed in
            let description = embed["description"]?.string ?? ""
            let total =
                [embed["title"], embed["description"], embed["footer"]?["text"]]
                .reduce(0) { $0 + ($1?.totalStringLength(in: .utf16) ?? 0) }
                + (embed["fields"]?.items ?? []).reduce(0) {
                    $0 + ($1["name"]?.totalStringLength(in: .utf16) ?? 0)
                        + ($1["value"]?.totalStringLength(in: .utf16) ?? 0)
                }
            return description.utf16.count <= Self.descriptionLimit && total <= Self.embedTotalLimit
        } ?? false
    }

    private func message(
        title: String, description: String, fields: [JSONValue], text footer: [Span], tone: Tone, date: Date
    ) -> JSONValue {
        var embed: [JSONValue.Member] = [
            .init(key: "title", value: .string(title)),
            .init(key: "description", value: .string(description)),
            .init(key: "color", value: .int(tone.rgb)),
        ]
        if !fields.isEmpty { embed.append(.init(key: "fields", value: .array(fields))) }
        // The footer is plain text in Discord: no Markdown to escape, mention syntax broken all the same.
        embed.append(
            .init(
                key: "footer",
                value: .obj([
                    "text": .string(Layout.field(Markup.plainDefused.render(footer), Self.footerLimit))
                ])))
        embed.append(.init(key: "timestamp", value: .string(NotifyTime.iso8601(date))))
        return .obj([
            "allowed_mentions": .obj(["parse": .array([])]),
            "embeds": .array([.object(embed)]),
        ])
    }
}
