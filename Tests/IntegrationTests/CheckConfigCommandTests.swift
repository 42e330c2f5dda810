import Foundation
import Testing

/// `ssowatch check-config` run as a user runs it: exit status, summary on stdout, `PATH:LINE: message`
/// on stderr, and no secret anywhere.
@Suite struct CheckConfigCommandTests {
    /// The example shipped in the repository.
    static let shippedExample = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/ssowatch.ini").path

    /// An account line pair that is valid on its own.
    static let account = ["[account \"prod\"]", "account_id = \(TestAccount.prod.id)"]

    /// A token for files that rely on `CLOUDFLARE_API_TOKEN`.
    static let environmentToken = ["CLOUDFLARE_API_TOKEN": "cfut_env_token_never_printed_5e6f"]

    @Test func theShippedExamplePassesWithATokenInTheEnvironment() async throws {
        let example = try String(contentsOfFile: Self.shippedExample, encoding: .utf8)
        let result = try await runSSOWatch(
            ["check-config", "--config", Self.shippedExample], environment: ["CLOUDFLARE_API_TOKEN": "dummy"])

        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("\(Self.shippedExample): OK\n"), "\(result)")
        for expected in [
            "production", "staging", "023e105f4ecef8ad9ca31a8372d0c353", "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f",
            "ops-slack", "hooks.slack.com", "audit.example.com", "env CLOUDFLARE_API_TOKEN",
        ] {
            #expect(result.stdout.contains(expected), "summary mentions \(expected)")
        }
        // The secrets of the example: the token, and the webhook URLs beyond their hosts.
        let slackURL = try #require(
            example.split(separator: "\n").first { $0.hasPrefix("url = https://hooks.slack.com/") })
        let slackPath = String(slackURL.dropFirst("url = https://hooks.slack.com".count))
        #expect(slackPath.count > 20, "the example's Slack URL has a secret path")
        for secret in ["dummy", slackPath, "T00000000", "XXXXXXXXXXXX", "/hooks/ssowatch"] {
            #expect(!result.stdout.contains(secret), "stdout must not show \(secret)")
            #expect(!result.stderr.contains(secret), "stderr must not show \(secret)")
        }
    }

    @Test func theShippedExampleWithoutAnyTokenNamesTheAccountThatLacksOne() async throws {
        let lines = try String(contentsOfFile: Self.shippedExample, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        let header = try #require(lines.firstIndex { $0 == "[account \"production\"]" }) + 1

        let result = try await runSSOWatch(["check-config", "--config", Self.shippedExample])

        #expect(result.status == 78, "\(result)")
        #expect(result.stdout.isEmpty)
        let error = try #require(result.stderr.split(separator: "\n").last.map(String.init))
        #expect(error.hasPrefix("\(Self.shippedExample):\(header): "), "\(result)")
        #expect(error.contains("CLOUDFLARE_API_TOKEN"))
    }

    @Test func aGeneratedConfigurationShowsSecretSourcesNeverSecrets() async throws {
        try await withTemporaryDirectory { directory in
            let webhookURL = "https://chat.example.net/hooks/very-secret-webhook-path-4411"
            let path = try ConfigFile(apiBaseURL: "http://127.0.0.1:9/client/v4")
                .account("prod", id: TestAccount.prod.id, token: TestAccount.prod.token)
                .webhook("ops", type: "slack", url: webhookURL)
                .write(to: directory)

            let result = try await runSSOWatch(["check-config", "--config", path])

            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("api_token_file=\(directory.path("token-prod"))"), "\(result)")
            #expect(result.stdout.contains("chat.example.net"))
            #expect(result.stdout.contains("http://127.0.0.1:9/client/v4"))
            for secret in [TestAccount.prod.token, "very-secret-webhook-path", "/hooks/"] {
                #expect(!result.stdout.contains(secret))
                #expect(!result.stderr.contains(secret))
            }
            #expect(result.stderr.isEmpty, "a 0600 file without inline secrets has nothing to warn about")
        }
    }

    @Test func theConfigurationMayBeNamedBySSOWATCH_CONFIG() async throws {
        try await withTemporaryDirectory { directory in
            let path = try directory.write("named-by-env.ini", (Self.account + [""]).joined(separator: "\n"))
            let result = try await runSSOWatch(
                ["check-config"], environment: Self.environmentToken.merging(["SSOWATCH_CONFIG": path]) { $1 })
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.hasPrefix("\(path): OK"))
        }
    }

    /// A broken file, the line its error is reported at and words the message must contain.
    struct BrokenCase: Sendable, CustomTestStringConvertible {
        var name: String
        var lines: [String]
        var line: Int
        var words: [String]
        var testDescription: String { name }
    }

    @Test(arguments: [
        BrokenCase(
            name: "misspelt key", lines: ["[daemon]", "pol_interval = 5m"] + account, line: 2,
            words: ["pol_interval", "poll_interval"]),
        BrokenCase(
            name: "invalid duration", lines: account + ["poll_interval = soon"], line: 3, words: ["poll_interval"]),
        BrokenCase(
            name: "unterminated quote", lines: account + ["webhooks = \"ops"], line: 3, words: []),
        BrokenCase(
            name: "missing account_id",
            lines: ["[daemon]", "log_level = info", "", "[account \"prod\"]", "enabled = no"],
            line: 4, words: ["account_id"]),
        BrokenCase(
            name: "duplicate key", lines: account + ["account_id = \(TestAccount.staging.id)"], line: 3,
            words: ["account_id"]),
        BrokenCase(
            name: "plain http to a remote API", lines: ["[daemon]", "api_base_url = http://api.example.com"] + account,
            line: 2, words: ["loopback"]),
        BrokenCase(
            name: "unknown section", lines: account + ["[accounts \"x\"]"], line: 3, words: ["accounts"]),
        BrokenCase(
            name: "unreadable token file",
            lines: account + ["api_token_file = /nonexistent/ssowatch-token"], line: 3,
            words: ["/nonexistent/ssowatch-token"]),
    ])
    func aBrokenFileExits78WithPathLineAndMessage(_ example: BrokenCase) async throws {
        try await withTemporaryDirectory { directory in
            let path = try directory.write("broken.ini", example.lines.joined(separator: "\n") + "\n")

            let result = try await runSSOWatch(
                ["check-config", "--config", path], environment: Self.environmentToken)

            #expect(result.status == 78, "\(result)")
            #expect(result.stdout.isEmpty, "nothing on stdout: \(result)")
            let message = result.stderr.trimmingCharacters(in: .newlines)
            #expect(message.hasPrefix("\(path):\(example.line): "), "\(result)")
            #expect(!message.contains("\n"), "one line: \(result)")
            for word in example.words {
                #expect(message.contains(word), "\(result)")
            }
            #expect(!result.stderr.contains("cfut_env_token"))
        }
    }

    @Test func aMissingFileExits78NamingIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("does-not-exist.ini")
            let result = try await runSSOWatch(["check-config", "--config", path])
            #expect(result.status == 78, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("\(path):"), "\(result)")
            #expect(result.stderr.contains("cannot read"))
        }
    }

    @Test func anEmptyFileExits78() async throws {
        try await withTemporaryDirectory { directory in
            let path = try directory.write("empty.ini", "\n\n")
            let result = try await runSSOWatch(["check-config", "--config", path], environment: Self.environmentToken)
            #expect(result.status == 78, "\(result)")
            #expect(result.stderr.hasPrefix("\(path):1: "), "\(result)")
            #expect(result.stderr.contains("empty"))
        }
    }

    // MARK: - not a regular file

    /// A FIFO without a writer used to block `check-config` and `run` forever in `open`. (A directory:
    /// `MalformedConfigCorpusTests.aDirectoryIsRefused`.)
    @Test(arguments: ["check-config", "run"])
    func aFIFOAsTheConfigurationIsRefusedAtOnce(command: String) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("ssowatch.ini")
            try #require(mkfifo(path, 0o600) == 0, "mkfifo: errno \(errno)")
            // Blocked in `open` (the old behaviour), the command would run into this timeout and fail.
            let result = try await runSSOWatch(
                [command, "--config", path], environment: Self.environmentToken, timeout: .seconds(60))
            #expect(result.status == 78, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            // `run` puts `ssowatch: ` before it.
            #expect(
                result.stderr.contains(
                    "\(path):1: cannot read the configuration file: not a regular file (it is a FIFO)"),
                "\(result)")
        }
    }

    @Test func aFIFOAsATokenFileIsRefusedAtOnceWithItsLine() async throws {
        try await withTemporaryDirectory { directory in
            let fifo = directory.path("token")
            try #require(mkfifo(fifo, 0o600) == 0, "mkfifo: errno \(errno)")
            let path = try directory.write(
                "ssowatch.ini", (Self.account + ["api_token_file = token"]).joined(separator: "\n"))
            let result = try await runSSOWatch(["check-config", "--config", path], timeout: .seconds(60))
            #expect(result.status == 78, "\(result)")
            #expect(
                result.stderr == "\(path):3: cannot read api_token_file \(fifo): not a regular file (it is a FIFO)\n",
                "\(result)")
        }
    }
}
