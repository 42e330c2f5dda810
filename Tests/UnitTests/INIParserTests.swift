import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchNotify
@testable import SSOWatchState

@Suite struct INIParserTests {
    @Test func sectionsEntriesAndLineNumbers() throws {
        let text = """
            # a comment
            ; another comment

            [daemon]
              poll_interval   =   5m
            [account "prod-1.eu_x"]
            account_id=abc
            \t# indented comment
            enabled = yes
            """
        let sections = try INIParser.parse(text)
        #expect(sections.count == 2)
        #expect(
            sections[0]
                == INISection(
                    kind: "daemon", name: nil, line: 4,
                    entries: [
                        INIEntry(key: "poll_interval", value: "5m", line: 5)
                    ]))
        #expect(sections[1].kind == "account")
        #expect(sections[1].name == "prod-1.eu_x")
        #expect(sections[1].line == 6)
        #expect(
            sections[1].entries == [
                INIEntry(key: "account_id", value: "abc", line: 7), INIEntry(key: "enabled", value: "yes", line: 9),
            ])
        #expect(sections[1].header == "[account \"prod-1.eu_x\"]")
    }

    @Test func noInlineComments() throws {
        let sections = try INIParser.parse("[webhook \"w\"]\nurl = https://example.com/hook#frag ; not a comment\n")
        #expect(sections[0].entries[0].value == "https://example.com/hook#frag ; not a comment")
    }

    @Test func valueMayContainEqualsAndBackslashes() throws {
        let sections = try INIParser.parse("[daemon]\napi_token = abc==\\d\n")
        #expect(sections[0].entries[0].value == "abc==\\d")
    }

    @Test func quotedValues() throws {
        let text = #"""
            [daemon]
            a = "  spaced  "
            b = "say \"hi\"\tand\\or\nnext"
            c = ""
            d = "# not a comment"
            e = "x"   
            """#
        let values = try INIParser.parse(text)[0].entries.map(\.value)
        #expect(values == ["  spaced  ", "say \"hi\"\tand\\or\nnext", "", "# not a comment", "x"])
    }

    @Test func emptyValueAndSpacesAroundHeader() throws {
        let sections = try INIParser.parse("[ account  \"a\" ]\nwebhooks =\n")
        #expect(sections[0].name == "a")
        #expect(sections[0].entries == [INIEntry(key: "webhooks", value: "", line: 2)])
    }

    @Test func crlfLineEndings() throws {
        let sections = try INIParser.parse("[daemon]\r\npoll_interval = 5m\r\n\r\nlog_level = info\r\n")
        #expect(
            sections[0].entries == [
                INIEntry(key: "poll_interval", value: "5m", line: 2),
                INIEntry(key: "log_level", value: "info", line: 4),
            ])
    }

    @Test func emptyAndCommentOnlyTextHasNoSections() throws {
        #expect(try INIParser.parse("").isEmpty)
        #expect(try INIParser.parse("# only\n\n; comments\n").isEmpty)
    }

    struct SyntaxCase: Sendable, CustomTestStringConvertible {
        let text: String
        let line: Int
        let fragment: String
        var testDescription: String { fragment }
    }

    @Test(arguments: [
        SyntaxCase(text: "key = value\n[daemon]", line: 1, fragment: "before any section header"),
        SyntaxCase(text: "[daemon]\njust some words", line: 2, fragment: "expected `key = value`"),
        SyntaxCase(text: "[daemon]\n= 5m", line: 2, fragment: "missing key before `=`"),
        SyntaxCase(text: "[daemon]\npoll interval = 5m", line: 2, fragment: "invalid key name"),
        SyntaxCase(text: "[daemon]\n\na = \"abc", line: 3, fragment: "unterminated quoted value"),
        SyntaxCase(text: "[daemon]\na = \"abc\" # c", line: 2, fragment: "text after the closing quote"),
        SyntaxCase(text: "[daemon]\na = \"a\\qb\"", line: 2, fragment: "unknown `\\q` in a quoted value"),
        SyntaxCase(text: "[daemon]\na = \"ab\\\"", line: 2, fragment: "unterminated quoted value"),
        SyntaxCase(text: "[]", line: 1, fragment: "malformed section header"),
        SyntaxCase(text: "[daemon", line: 1, fragment: "missing its closing `]`"),
        SyntaxCase(text: "# x\n[daemon] # comment", line: 2, fragment: "text after `]`"),
        SyntaxCase(text: "[account prod]", line: 1, fragment: "the name must be in double quotes"),
        SyntaxCase(text: "[account \"prod]", line: 1, fragment: "unterminated quoted name"),
        SyntaxCase(text: "[account \"a b\"]", line: 1, fragment: "invalid section name"),
        SyntaxCase(text: "[account \"\"]", line: 1, fragment: "invalid section name"),
        SyntaxCase(text: "[account \"\(String(repeating: "a", count: 65))\"]", line: 1, fragment: "1–64 characters"),
        SyntaxCase(text: "[account \"a\" x]", line: 1, fragment: "unexpected text in section header"),
    ])
    func syntaxErrors(_ testCase: SyntaxCase) {
        #expect {
            try INIParser.parse(testCase.text)
        } throws: { error in
            guard let error = error as? INISyntaxError else { return false }
            return error.line == testCase.line && error.message.contains(testCase.fragment)
        }
    }

    @Test func longestNameIsAccepted() throws {
        let name = String(repeating: "a", count: 64)
        #expect(try INIParser.parse("[account \"\(name)\"]")[0].name == name)
    }

    @Test func messagesDoNotRepeatValues() {
        let secret = "ZmFrZS10b2tlbi12YWx1ZS0xMjM0"
        let texts = [
            "[daemon]\napi_token = \"\(secret)", "[daemon]\napi_token = \"\(secret)\" trailing",
            "[daemon]\n\(secret)", "[daemon]\nhttps://hooks.example.com/\(secret)?a=b",
        ]
        for text in texts {
            do {
                _ = try INIParser.parse(text)
                Issue.record("expected an error for \(text.debugDescription)")
            } catch {
                #expect(!error.message.contains(secret))
            }
        }
    }
}
