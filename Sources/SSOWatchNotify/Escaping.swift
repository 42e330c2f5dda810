import SSOWatchModel
/// A piece of message text. Wording written here is `.text`; everything that comes from Cloudflare
/// or the configuration (domain, status, ids, codes) is `.value` or `.code` and is escaped for the
/// target's markup, so a domain like `<!channel>` or `@everyone` can never ping or format anything.
/// Every value is made one line first (control characters become spaces), so it can neither start a
/// Markdown block (a list, a quote, a heading) nor fake a line of the message.
enum Span: Sendable, Equatable {
    /// Our own wording; contains no markup characters of any dialect.
    case text(String)
    /// A user-controlled value, escaped.
    case value(String)
    /// A user-controlled value shown as code (copyable: the TXT value, a command).
    case code(String)
    /// Bold.
    case strong([Span])
}

/// How one service's markup writes escaped text, bold and code.
struct Markup: Sendable {
    /// Escapes a user-controlled value.
    var escape: @Sendable (String) -> String
    /// Wraps already rendered text in bold.
    var strong: @Sendable (String) -> String
    /// Shows a raw value as code, or `nil` when the value cannot be shown as code in this markup.
    var code: @Sendable (String) -> String?

    /// Renders spans into one string of this markup.
    func render(_ spans: [Span]) -> String {
        var out = ""
        for span in spans {
            switch span {
            case .text(let s): out += s
            case .value(let s): out += escape(Escaping.singleLine(s))
            case .code(let s):
                let line = Escaping.singleLine(s)
                out += code(line) ?? escape(line)
            case .strong(let inner): out += strong(render(inner))
            }
        }
        return out
    }

    /// No markup at all, for text no one parses: ntfy titles and bodies (sent without `Markdown: yes`).
    static let plain = Markup(escape: { $0 }, strong: { $0 }, code: { $0 })

    /// Plain text that a service may still scan for mentions and link syntax: Slack's `plain_text` header,
    /// Google Chat's card header, Rocket.Chat's attachment title, the fallbacks and footers of attachments
    /// and embeds. Nothing can be escaped there, so the syntax is broken with zero-width spaces.
    static let plainDefused = Markup(escape: Escaping.defuse, strong: { $0 }, code: Escaping.defuse)

    /// Slack mrkdwn: only `&`, `<` and `>` are special (they make links and mentions) and can be escaped;
    /// `@here` and `](` are broken too, in case Slack parses them (the renderer also marks its text
    /// objects `verbatim`, which turns Slack's own parsing of mentions and links off). Formatting
    /// characters (`*`, `_`, `~`) cannot be escaped in mrkdwn and stay as they are.
    static let slack = Markup(
        escape: { Escaping.defuse(Escaping.htmlEntities($0)) },
        strong: { "*\($0)*" },
        code: { Escaping.mentionSafeCode($0).map(Escaping.htmlEntities) })

    /// Discord Markdown: backslash escapes, and `@everyone`/`@here` broken with a zero-width space
    /// (on top of `allowed_mentions`, so a copied text cannot ping either).
    static let discord = Markup(
        escape: { Escaping.breakMentions(Escaping.backslash($0, Escaping.markdownSpecials)) },
        strong: { "**\($0)**" },
        code: Escaping.mentionSafeCode)

    /// Mattermost Markdown, like Discord's; `@channel`, `@all` and `@here` are broken. Mattermost turns
    /// Slack's `<!channel>` into `@channel` and `<url|label>` into a link in an attachment's text, title and
    /// fields before it renders them; a backslash before every `<`, `|` and `]` keeps either from forming.
    static let mattermost = discord

    /// Teams Adaptive Card Markdown (`**bold**`, `_italic_`, lists, links; no inline code). An `_`
    /// inside a word cannot start emphasis and stays as is, so a TXT value (`cloudflare_dashboard_sso=…`)
    /// reads and copies the same whether or not a client honours backslash escapes.
    /// A `](` is also broken with a zero-width space, so no link forms whether or not a client honours
    /// the backslashes.
    static let teams = Markup(
        escape: { Escaping.defuse(Escaping.backslash($0, Escaping.teamsSpecials, keepIntrawordUnderscore: true)) },
        strong: { "**\($0)**" },
        code: { _ in nil })

    /// Rocket.Chat and Google Chat text markup (`*bold*`, `_italic_`, `~strike~`, `<url|label>`,
    /// Rocket.Chat's `[label](url)` and `> quote`): no escape character exists, so markers, `<` (links,
    /// `<users/all>`), `](` and a leading `>` or `#` are broken with a zero-width space.
    static let chatText = Markup(
        escape: { Escaping.defuse(Escaping.zeroWidthBreak($0)) },
        strong: { "*\($0)*" },
        code: Escaping.mentionSafeCode)

    /// The HTML subset of Google Chat card text: `&`, `<`, `>` escaped, `<b>` for bold; mention and link
    /// syntax broken as in plain text too, in case Chat parses the text again once the entities are decoded.
    static let chatCardHTML = Markup(
        escape: { Escaping.htmlEntities(Escaping.defuse($0)) },
        strong: { "<b>\($0)</b>" },
        code: { _ in nil })
}

/// Escaping functions for each markup.
enum Escaping {
    /// Characters that format text in Discord and Mattermost Markdown (emphasis, code, spoilers,
    /// quotes, headings, links, `<@…>` mentions).
    static let markdownSpecials: Set<Character> = ["\\", "*", "_", "~", "`", "|", ">", "<", "#", "[", "]", "(", ")"]

    /// Characters that format text in Teams Adaptive Card Markdown (emphasis and links only).
    static let teamsSpecials: Set<Character> = ["\\", "*", "_", "~", "`", "[", "]"]

    /// Characters that start a list only at the beginning of a value.
    static let leadingSpecials: Set<Character> = ["-", "+"]

    /// `&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`.
    static func htmlEntities(_ s: String) -> String {
        guard s.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" }) else { return s }
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A backslash before every character of `specials`, and before a leading `-` or `+`.
    /// - Parameter keepIntrawordUnderscore: leave an `_` between two letters or digits unescaped.
    static func backslash(_ s: String, _ specials: Set<Character>, keepIntrawordUnderscore: Bool = false) -> String {
        let chars = Array(s)
        var out = ""
        for (i, ch) in chars.enumerated() {
            let intraword =
                keepIntrawordUnderscore && ch == "_" && i > 0 && i + 1 < chars.count
                && (chars[i - 1].isLetter || chars[i - 1].isNumber) && (chars[i + 1].isLetter || chars[i + 1].isNumber)
            if (specials.contains(ch) && !intraword) || (i == 0 && leadingSpecials.contains(ch)) { out.append("\\") }
            out.append(ch)
        }
        return out
    }

    /// A Markdown code span, or `nil` (shown escaped instead) when the value holds a backtick, which
    /// would end the span, or an `@`, `<` or `](`, which some services turn into a mention or a link before
    /// they look for code (Mattermost's `<!channel>`, Google Chat's `<users/all>`).
    static func mentionSafeCode(_ s: String) -> String? {
        s.contains("`") || s.contains("@") || s.contains("<") || s.contains("](") ? nil : "`\(s)`"
    }

    /// A zero-width space after every `<` (`<!channel>`, `<@U…>`, `<users/all>`, `<url|label>`), inside
    /// every `](` (`[label](url)`) and after an `@` that starts a name: what no service then reads as a
    /// mention or a link, and what a person reads the same.
    static func defuse(_ s: String) -> String {
        guard s.contains(where: { $0 == "<" || $0 == "]" || $0 == "@" }) else { return s }
        var out = ""
        var previous: Character?
        for ch in s {
            if previous == "]" && ch == "(" { out.append("\u{200B}") }
            out.append(ch)
            if ch == "<" { out.append("\u{200B}") }
            previous = ch
        }
        return breakMentions(out)
    }

    /// Control characters (CR, LF, tab, …) and line or paragraph separators replaced by spaces.
    static func singleLine(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: out.append(" ")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// A zero-width space after `@` when a name follows, so `@everyone`, `@here`, `@channel`, `@all`
    /// and `@user` mention nobody.
    static func breakMentions(_ s: String) -> String {
        guard s.contains("@") else { return s }
        var out = ""
        var previousWasAt = false
        for ch in s {
            if previousWasAt, ch.isLetter || ch.isNumber || ch == "_" { out.append("\u{200B}") }
            out.append(ch)
            previousWasAt = ch == "@"
        }
        return out
    }

    /// For markups without an escape character: a zero-width space before `*`, `_`, `~` and `` ` ``,
    /// which keeps them from pairing into formatting, and before a leading `>`, `#`, `-` or `+` (a quote,
    /// a heading, a list item).
    static func zeroWidthBreak(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "*", "_", "~", "`": out += "\u{200B}\(ch)"
            case ">" where out.isEmpty, "#" where out.isEmpty, "-" where out.isEmpty, "+" where out.isEmpty:
                out += "\u{200B}\(ch)"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A header field value: control characters (CR, LF, …) become spaces, runs of spaces collapse,
    /// and the result is trimmed.
    static func headerValue(_ s: String) -> String {
        var out = ""
        var lastWasSpace = true
        for scalar in s.unicodeScalars {
            let isSpace =
                scalar.properties.generalCategory == .control || scalar == " "
                || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator
            if isSpace {
                if !lastWasSpace { out.append(" ") }
            } else {
                out.unicodeScalars.append(scalar)
            }
            lastWasSpace = isSpace
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }
}
