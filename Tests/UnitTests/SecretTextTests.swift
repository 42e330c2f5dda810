import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchHTTP
@testable import SSOWatchNotify
@testable import SSOWatchState

/// One check of a secret's text for every source of a token (`api_token`, `_file`, `_env`, `_credential`
/// in [daemon] and [account], and `CLOUDFLARE_API_TOKEN`), webhook URLs and signing secrets: surrounding
/// whitespace trimmed, any control character refused with a message that names the source and the
/// character, never the value.
@Suite struct SecretTextTests {
    /// The halves of every hostile token: neither may appear in a message.
    static let head = "cfut_Secret"
    static let tail = "TokenValue"

    /// A character that has no place in a token, put between `head` and `tail` (position 12).
    struct Hostile: Sendable, CustomTestStringConvertible {
        var name: String
        var scalar: Unicode.Scalar

        var token: String { SecretTextTests.head + String(scalar) + SecretTextTests.tail }
        /// The token as an INI value: raw where the parser keeps the character, else quoted with an escape.
        var iniValue: String {
            switch scalar {
            case "\n": "\"\(SecretTextTests.head)\\n\(SecretTextTests.tail)\""
            case "\t": "\"\(SecretTextTests.head)\\t\(SecretTextTests.tail)\""
            default: token
            }
        }
        var code: String { String(format: "U+%04X", scalar.value) }
        var testDescription: String { name }
    }

    static let hostile = [
        Hostile(name: "CR", scalar: "\r"), Hostile(name: "LF", scalar: "\n"), Hostile(name: "NUL", scalar: "\0"),
        Hostile(name: "tab", scalar: "\t"),
    ]

    /// Where a token comes from.
    enum Source: String, CaseIterable, Sendable {
        case daemonInline, daemonFile, daemonEnv, daemonCredential
        case accountInline, accountFile, accountEnv, accountCredential
        case cloudflareEnvironment
    }

    /// A configuration whose token comes from `source`, with `token` (as an INI value `iniValue`) in it.
    struct Setup {
        var lines: [String]
        var environment: [String: String]
        var files: InMemoryConfigFileSystem
        /// The line of the error, and how the message names the source.
        var line: Int
        var names: String
    }

    static func setup(_ source: Source, token: String, iniValue: String) -> Setup {
        let inDaemon = source.rawValue.hasPrefix("daemon")
        let (key, value, names): (String, String, String) =
            switch source {
            case .daemonInline, .accountInline: ("api_token", iniValue, "api_token: the token")
            case .daemonFile, .accountFile: ("api_token_file", "/run/token", "api_token_file /run/token: the token")
            case .daemonEnv, .accountEnv: ("api_token_env", "HOSTILE_TOKEN", "api_token_env HOSTILE_TOKEN: the token")
            case .daemonCredential, .accountCredential:
                ("api_token_credential", "cf", "api_token_credential cf (/creds/cf): the token")
            case .cloudflareEnvironment: ("", "", "CLOUDFLARE_API_TOKEN")
            }
        // Surrounding whitespace, a CRLF included, is trimmed first: the position is counted in the token.
        let padded = " \t" + token + " \r\n"
        let files = InMemoryConfigFileSystem(["/run/token": padded, "/creds/cf": padded])
        var environment = ["HOSTILE_TOKEN": padded, "CREDENTIALS_DIRECTORY": "/creds"]
        let entry = "\(key) = \(value)"
        switch source {
        case .cloudflareEnvironment:
            environment["CLOUDFLARE_API_TOKEN"] = padded
            return Setup(lines: ConfigFixture.account, environment: environment, files: files, line: 1, names: names)
        case _ where inDaemon:
            return Setup(
                lines: ["[daemon]", entry] + ConfigFixture.account, environment: environment, files: files, line: 2,
                names: names)
        default:
            return Setup(
                lines: ConfigFixture.account + [entry], environment: environment, files: files, line: 3, names: names)
        }
    }

    static let cases: [(Source, Hostile)] = Source.allCases.flatMap { source in hostile.map { (source, $0) } }

    @Test(arguments: cases)
    func aControlCharacterInATokenIsRefusedNamingTheSourceNeverTheValue(source: Source, character: Hostile) {
        let setup = Self.setup(source, token: character.token, iniValue: character.iniValue)
        let error = ConfigFixture.error(setup.lines, environment: setup.environment, files: setup.files)
        let message = error?.message ?? "(accepted)"
        if character.scalar == "\0" && [.daemonInline, .accountInline].contains(source) {
            // A NUL byte in the file itself: the whole file is refused before any key is read.
            #expect(error?.line == 1 && message.hasPrefix("not a text file: it contains a NUL byte"), "\(message)")
        } else {
            #expect(error?.line == setup.line, "\(message)")
            #expect(
                message.hasPrefix(
                    "\(setup.names) contains a control character (\(character.code)) at position 12"),
                "\(message)")
        }
        #expect(!message.contains(Self.head) && !message.contains(Self.tail), "\(message)")
        #expect(!message.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(message)")
    }

    @Test(arguments: Source.allCases)
    func surroundingWhitespaceIsTrimmedFromEverySource(source: Source) throws {
        let token = Self.head + Self.tail
        let setup = Self.setup(source, token: token, iniValue: "\" \(token)\\t\"")
        let configuration = try ConfigFixture.parse(setup.lines, environment: setup.environment, files: setup.files)
        #expect(configuration.accounts.first?.token.value == token)
    }

    @Test func webhookURLsAndSigningSecretsFromFilesAreCheckedTheSameWay() {
        let files = InMemoryConfigFileSystem([
            "/run/hook": "https://hooks.example.com/SECRETPATH\r/x\n",
            "/run/whsec": "whsec_\tU0VDUkVU\n",
        ])
        let url = ConfigFixture.error(
            ConfigFixture.account + ["[webhook \"chat\"]", "type = slack", "url_file = /run/hook"], files: files)
        #expect(url?.line == 5)
        #expect(
            url?.message.hasPrefix("url_file /run/hook: the URL contains a control character (U+000D) at position 37")
                == true, "\(url?.message ?? "")")
        #expect(url?.message.contains("SECRETPATH") == false)
        let secret = ConfigFixture.error(
            ConfigFixture.account + [
                "[webhook \"audit\"]", "type = generic", "url = https://audit.example.com/", "secret_file = /run/whsec",
            ], files: files)
        #expect(secret?.line == 6)
        #expect(
            secret?.message.hasPrefix(
                "secret_file /run/whsec: the signing secret contains a control character (U+0009) at position 7")
                == true, "\(secret?.message ?? "")")
        #expect(secret?.message.contains("U0VDUkVU") == false)
    }

    @Test func aSpaceOrAnInvisibleCharacterInsideIsRefusedToo() {
        #expect(
            SecretText.validated(" a b ")
                == .failure(.init(kind: .whitespace, scalar: " ", position: 2)))
        #expect(
            SecretText.validated("ab\u{200B}c")
                == .failure(.init(kind: .invisible, scalar: "\u{200B}", position: 3)))
        #expect(
            SecretText.validated("ab\u{85}c") == .failure(.init(kind: .control, scalar: "\u{85}", position: 3)))
        #expect("\(SecretText.Problem(kind: .invisible, scalar: "\u{FEFF}", position: 1))".contains("(U+FEFF)"))
        #expect(SecretText.validated("\r\n tok\u{2003}\n") == .success("tok"))
        #expect(SecretText.validated("tök-ën") == .success("tök-ën"))
        #expect(SecretText.validated(" \n") == .success(""))
    }

    @Test func cloudflareAPITokenIsNilWhenUnsetOrBlank() throws {
        #expect(try SecretText.environmentToken([:]) == nil)
        #expect(try SecretText.environmentToken(["CLOUDFLARE_API_TOKEN": " \r\n"]) == nil)
        #expect(try SecretText.environmentToken(["CLOUDFLARE_API_TOKEN": "tok\r"])?.value == "tok")
        #expect(throws: SecretText.Problem.self) {
            try SecretText.environmentToken(["CLOUDFLARE_API_TOKEN": "to\rk"])
        }
    }

    /// AsyncHTTPClient refuses a header value with a control character and quotes the value in its error;
    /// the transport's error must say what was wrong without it.
    @Test func aRefusedHeaderIsDescribedWithoutItsValue() async throws {
        let transport = AsyncHTTPTransport()
        // Nothing listens on port 9 of loopback, and the request is refused before any connection anyway.
        let request = HTTPRequestSpec(
            method: "GET", url: "http://127.0.0.1:9/x",
            headers: [(name: "Authorization", value: "Bearer \(Self.head)\r\(Self.tail)")], timeout: 5)
        let error = await #expect(throws: HTTPTransportError.self) { _ = try await transport.send(request) }
        let badName = HTTPRequestSpec(
            method: "GET", url: "http://127.0.0.1:9/x", headers: [(name: "X \(Self.head)", value: "v")], timeout: 5)
        let nameError = await #expect(throws: HTTPTransportError.self) { _ = try await transport.send(badName) }
        await transport.shutdown()
        let description = error.map { "\($0)" } ?? ""
        #expect(description.contains("a request header value is not valid in HTTP"), "\(description)")
        #expect(!description.contains(Self.head) && !description.contains(Self.tail), "\(description)")
        let nameDescription = nameError.map { "\($0)" } ?? ""
        #expect(nameDescription.contains("a request header name is not valid in HTTP"), "\(nameDescription)")
        #expect(!nameDescription.contains(Self.head), "\(nameDescription)")
    }
}
