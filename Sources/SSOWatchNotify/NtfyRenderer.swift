import Foundation
import SSOWatchConfig
import SSOWatchModel

/// ntfy: the message as a plain-text body (≤ 4096 UTF-8 bytes, or ntfy turns it into an attachment)
/// published to the topic URL, with `Title`, `Priority` and `Tags` headers. The emoji comes from the
/// tags, so the title has none. Header values never contain CR or LF; non-ASCII ones are RFC 2047
/// encoded (`=?UTF-8?B?…?=`), which ntfy decodes.
struct NtfyRenderer: ChatRenderer {
    static let maxBodyBytes = 4096
    static let titleLimit = 250

    func headers(for content: ChatContent) -> [RenderedRequest.Header] {
        let (title, kinds): ([Span], [EventKind?]) =
            switch content {
            case .event(let event): (ChatText(event).title, [event.kind])
            case .test(let webhook, let message, let at):
                (ChatText.test(webhook: webhook, message: message, at: at).title, [nil])
            case .batch(let events): (BatchText(events).title, events.map(\.kind))
            }
        let tags = Self.tagOrder.filter { tag in kinds.contains { Self.tag(for: $0) == tag } }
        return [
            .init(name: "Content-Type", value: "text/plain; charset=utf-8"),
            .init(
                name: "Title",
                value: Self.headerText(
                    Truncation.truncate(Markup.plain.render(title), to: Self.titleLimit))),
            .init(name: "Priority", value: kinds.map(Self.priority).max().map(Self.priorityName) ?? "default"),
            .init(name: "Tags", value: tags.joined(separator: ",")),
        ]
    }

    func body(for content: ChatContent) -> [UInt8] {
        var text = ""
        for caps in ValueCaps.all {
            var listsSome = true
            switch content {
            case .event(let event): text = message(ChatText(event, caps: caps))
            case .test(let webhook, let message, let at):
                text = self.message(ChatText.test(webhook: webhook, message: message, at: at, caps: caps))
            case .batch(let events):
                let batch = BatchText(events, caps: caps)
                let shown = Truncation.largestFitting(upTo: batch.lines.count) {
                    message(batch, shown: $0).utf8.count <= Self.maxBodyBytes
                }
                text = message(batch, shown: shown)
                listsSome = shown > 0
            }
            if text.utf8.count <= Self.maxBodyBytes, listsSome { break }
        }
        return Array(Truncation.truncate(text, to: Self.maxBodyBytes, in: .utf8).utf8)
    }

    func message(_ text: ChatText) -> String {
        let plain = Markup.plain
        var paragraphs = [plain.render(text.summary)]
        paragraphs.append(text.facts.map { "\($0.label): \(plain.render($0.value))" }.joined(separator: "\n"))
        if let action = text.action { paragraphs.append(plain.render(action)) }
        return paragraphs.joined(separator: "\n\n")
    }

    func message(_ batch: BatchText, shown: Int) -> String {
        var paragraphs = [Markup.plain.render(batch.summary)]
        if let action = batch.action { paragraphs.append(Markup.plain.render(action)) }
        paragraphs.append(Layout.batchLines(batch, shown: shown, markup: .plain).joined(separator: "\n"))
        paragraphs.append(Markup.plain.render(batch.footer))
        return paragraphs.joined(separator: "\n\n")
    }

    /// ntfy priorities 1–5: failed is high, verified/stuck/dns_missing/verification_started/test default, the rest low.
    static func priority(_ kind: EventKind?) -> Int {
        switch kind {
        case .failed: 4
        case .verified, .stuck, .dnsMissing, .verificationStarted, nil: 3
        default: 2
        }
    }

    static func priorityName(_ priority: Int) -> String {
        ["min", "low", "default", "high", "urgent"][min(max(priority, 1), 5) - 1]
    }

    static let tagOrder = [
        "rotating_light", "warning", "white_check_mark", "hourglass_flowing_sand", "pause_button", "new",
        "wastebasket", "mag", "mailbox_with_mail", "rocket", "bell",
    ]

    /// The emoji short code ntfy shows for a kind (`nil`: a test message).
    static func tag(for kind: EventKind?) -> String {
        switch kind {
        case .verified: "white_check_mark"
        case .failed: "rotating_light"
        case .stuck: "warning"
        case .pending: "hourglass_flowing_sand"
        case .awaiting: "pause_button"
        case .appeared: "new"
        case .removed: "wastebasket"
        case .dnsMissing: "mag"
        case .dnsFound: "mailbox_with_mail"
        case .verificationStarted: "rocket"
        case nil: "bell"
        }
    }

    /// A header value: one line, ASCII as is, anything else as RFC 2047 encoded words of at most 75
    /// characters each (split between Unicode scalars, never inside one's UTF-8 bytes; separated by
    /// spaces, which decoders drop between encoded words).
    static func headerText(_ s: String) -> String {
        let line = Escaping.headerValue(s)
        guard !line.allSatisfy({ $0.isASCII }) || line.contains("=?") else { return line }
        var words: [String] = []
        var chunk: [UInt8] = []
        // 45 bytes encode to 60 base64 characters: 60 + `=?UTF-8?B?` + `?=` = 72 ≤ 75.
        for scalar in line.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: " ")
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }
}
