import SSOWatchConfig
import SSOWatchModel
/// A chat service that takes a JSON body. Conforming types build payloads; this extension picks the
/// largest one that fits the service's limits: values are shortened further only if a single event
/// would not fit, and a batch lists as many connectors as fit, then "and N more".
protocol JSONChatRenderer: ChatRenderer {
    /// The payload for one event or a test message. Every element must already be within its own
    /// limit (truncate); `fits` checks the limits on the whole message.
    func payload(_ text: ChatText) -> JSONValue
    /// The payload for a batch showing the first `shown` lines (the rest counted as "and N more").
    /// Elements holding the list are not truncated: `fits` must reject them when too long.
    func payload(_ batch: BatchText, shown: Int) -> JSONValue
    /// Whether a payload stays within the limits on the whole message.
    func fits(_ payload: JSONValue) -> Bool
}

extension JSONChatRenderer {
    func headers(for content: ChatContent) -> [RenderedRequest.Header] { Self.jsonHeaders }

    func body(for content: ChatContent) -> [UInt8] { bestPayload(for: content).bytes }

    /// The payload that will be sent for this content.
    func bestPayload(for content: ChatContent) -> JSONValue {
        var candidate = JSONValue.null
        for caps in ValueCaps.all {
            // A batch that lists no connector at all is a last resort: shorter values may let some in.
            var listsSome = true
            switch content {
            case .event(let event):
                candidate = payload(ChatText(event, caps: caps))
            case .test(let webhook, let message, let at):
                candidate = payload(ChatText.test(webhook: webhook, message: message, at: at, caps: caps))
            case .batch(let events):
                let batch = BatchText(events, caps: caps)
                let shown = Truncation.largestFitting(upTo: batch.lines.count) { fits(payload(batch, shown: $0)) }
                candidate = payload(batch, shown: shown)
                listsSome = shown > 0
            }
            if fits(candidate), listsSome { return candidate }
        }
        return candidate
    }
}

/// Helpers for laying out message text within limits.
enum Layout {
    /// `s` shortened to `limit`, and never empty (services reject empty fields).
    static func field(_ s: String, _ limit: Int, _ unit: Truncation.Unit = .utf16) -> String {
        s.isEmpty ? "—" : Truncation.truncate(s, to: limit, in: unit)
    }

    /// Lines joined with newlines into as few chunks as possible, each at most `limit` long; a line
    /// longer than `limit` is shortened.
    static func pack(_ lines: [String], limit: Int, unit: Truncation.Unit = .utf16) -> [String] {
        var chunks: [String] = []
        var current = ""
        for line in lines.map({ Truncation.truncate($0, to: limit, in: unit) }) {
            if current.isEmpty {
                current = line
            } else if unit.count(current) + 1 + unit.count(line) <= limit {
                current += "\n" + line
            } else {
                chunks.append(current)
                current = line
            }
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }

    /// The rendered lines of a batch: the first `shown`, then "and N more" for the rest.
    static func batchLines(_ batch: BatchText, shown: Int, markup: Markup) -> [String] {
        let shown = min(shown, batch.lines.count)
        var lines = batch.lines.prefix(shown).map(markup.render)
        if shown < batch.lines.count { lines.append(markup.render(BatchText.more(batch.lines.count - shown))) }
        return lines
    }

    /// The title with its emoji, in `markup` (by default plain text with mention and link syntax broken).
    static func title(emoji: String, _ title: [Span], markup: Markup = .plainDefused) -> String {
        "\(emoji) \(markup.render(title))"
    }
}
