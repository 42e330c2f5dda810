import SSOWatchModel
/// Rocket.Chat incoming webhooks: `text` in Rocket.Chat's markup (`*bold*`), `alias` "ssowatch",
/// and one Slack-style attachment. Messages are limited to 5000 characters by default.
struct RocketChatRenderer: JSONChatRenderer {
    static let maxCharacters = 5000
    static let alias = "ssowatch"

    func payload(_ text: ChatText) -> JSONValue {
        .obj([
            "alias": .string(Self.alias),
            "text": .string(Layout.field(Markup.chatText.render(text.fallback), SlackStyleAttachment.valueLimit)),
            "attachments": .array([
                SlackStyleAttachment.single(text, markup: .chatText, titleMarkup: .plainDefused, fallback: false)
            ]),
        ])
    }

    func payload(_ batch: BatchText, shown: Int) -> JSONValue {
        .obj([
            "alias": .string(Self.alias),
            "text": .string(Layout.field(Markup.chatText.render(batch.summary), SlackStyleAttachment.valueLimit)),
            "attachments": .array([
                SlackStyleAttachment.batch(
                    batch, shown: shown, markup: .chatText, titleMarkup: .plainDefused, fallback: false)
            ]),
        ])
    }

    /// Counts every string of the message, attachments included, against the 5000-character limit.
    func fits(_ payload: JSONValue) -> Bool { payload.totalStringLength(in: .utf16) <= Self.maxCharacters }
}
