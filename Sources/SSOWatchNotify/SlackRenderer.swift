import SSOWatchConfig
import SSOWatchModel
/// Slack incoming webhooks: Block Kit `blocks` with a mrkdwn `text` fallback (what notifications
/// show). Limits: ≤ 50 blocks, `header` ≤ 150, section text ≤ 3000, ≤ 10 fields of ≤ 2000,
/// ≤ 10 context elements; the whole message is kept small.
struct SlackRenderer: JSONChatRenderer {
    static let maxBlocks = 50
    static let headerLimit = 150
    static let sectionLimit = 3000
    static let fieldLimit = 2000
    static let maxFields = 10
    /// Slack rejects long block content well below its 40,000-character `text` cap.
    static let maxBodyBytes = 16_000

    func payload(_ text: ChatText) -> JSONValue {
        let md = Markup.slack
        var blocks = [header(Layout.title(emoji: text.emoji, text.title)), section(md.render(text.summary))]
        let fields = text.facts.prefix(Self.maxFields).map { fact -> JSONValue in
            mrkdwn(Layout.field("*\(fact.label)*\n\(md.render(fact.value))", Self.fieldLimit))
        }
        blocks.append(.obj(["type": .string("section"), "fields": .array(fields)]))
        if let action = text.action { blocks.append(section(md.render(action))) }
        blocks.append(context([md.render(text.footer)]))
        return .obj([
            "text": .string(Layout.field(md.render(text.fallback), Self.sectionLimit)),
            "blocks": .array(blocks),
        ])
    }

    func payload(_ batch: BatchText, shown: Int) -> JSONValue {
        let md = Markup.slack
        var blocks = [header(Layout.title(emoji: batch.emoji, batch.title)), section(md.render(batch.summary))]
        if let action = batch.action { blocks.append(section(md.render(action))) }
        var lines = Layout.batchLines(batch, shown: shown, markup: md)
        // "and N more" goes in the closing context, where it cannot be cut off with a section.
        let more = shown < batch.lines.count ? lines.removeLast() : nil
        blocks += Layout.pack(lines, limit: Self.sectionLimit).map(section)
        blocks.append(context([more, md.render(batch.footer)].compactMap { $0 }))
        return .obj([
            "text": .string(Layout.field(md.render(batch.summary), Self.sectionLimit)), "blocks": .array(blocks),
        ])
    }

    func fits(_ payload: JSONValue) -> Bool {
        (payload["blocks"]?.items.count ?? 0) <= Self.maxBlocks && payload.bytes.count <= Self.maxBodyBytes
    }

    private func header(_ text: String) -> JSONValue {
        .obj([
            "type": .string("header"),
            "text": .obj([
                "type": .string("plain_text"), "text": .string(Layout.field(text, Self.headerLimit)),
                "emoji": .bool(true),
            ]),
        ])
    }

    private func section(_ text: String) -> JSONValue {
        .obj(["type": .string("section"), "text": mrkdwn(Layout.field(text, Self.sectionLimit))])
    }

    private func context(_ texts: [String]) -> JSONValue {
        .obj([
            "type": .string("context"), "elements": .array(texts.map { mrkdwn(Layout.field($0, Self.sectionLimit)) }),
        ])
    }

    /// `verbatim`: Slack would otherwise turn URLs into links and parse some mentions in the text.
    private func mrkdwn(_ text: String) -> JSONValue {
        .obj(["type": .string("mrkdwn"), "text": .string(text), "verbatim": .bool(true)])
    }
}
