import SSOWatchModel
/// Mattermost incoming webhooks: Markdown `text` (`**bold**`) plus one Slack-style attachment.
/// A post holds at most 16,383 characters (longer ones are split, so the whole message is kept under).
struct MattermostRenderer: JSONChatRenderer {
    static let maxCharacters = 16_383

    func payload(_ text: ChatText) -> JSONValue {
        .obj([
            "text": .string(Layout.field(Markup.mattermost.render(text.fallback), SlackStyleAttachment.valueLimit)),
            "attachments": .array([
                SlackStyleAttachment.single(text, markup: .mattermost, titleMarkup: .mattermost, fallback: true)
            ]),
        ])
    }

    func payload(_ batch: BatchText, shown: Int) -> JSONValue {
        .obj([
            "text": .string(Layout.field(Markup.mattermost.render(batch.summary), SlackStyleAttachment.valueLimit)),
            "attachments": .array([
                SlackStyleAttachment.batch(
                    batch, shown: shown, markup: .mattermost, titleMarkup: .mattermost, fallback: true)
            ]),
        ])
    }

    /// Counts every string of the message, attachments included.
    func fits(_ payload: JSONValue) -> Bool { payload.totalStringLength(in: .utf16) <= Self.maxCharacters }
}
