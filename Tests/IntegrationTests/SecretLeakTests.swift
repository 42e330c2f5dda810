import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// docs/CONFIGURATION.md and §7: tokens, webhook URLs (beyond their host) and signing secrets never appear in any
/// byte ssowatch writes — logs, command output, the state file — whatever happens; secret files that
/// other users can read are reported.
@Suite struct SecretLeakTests {
    static let token = "cfut_SECRETTOKEN_7f3e9a1c5b2d"
    static let signingKeyText = "SECRETSIGNINGKEY789xyz!"
    static let signingSecretBase64 = "U0VDUkVUU0lHTklOR0tFWTc4OXh5eiE="
    static let signingSecret = "whsec_" + signingSecretBase64
    /// The password of the proxy every request goes through (docs/CONFIGURATION.md, "Proxies and private CAs").
    static let proxyPassword = "PROXYSECRET999"
    /// Strings that must never be written: the secrets and distinctive parts of them.
    static let secrets = [
        token, "SECRETTOKEN", "SECRETPATH123", "SECRETQUERY456", signingSecret, signingKeyText,
        String(signingSecretBase64.dropLast()), proxyPassword,
        Data("ops:\(proxyPassword)".utf8).base64EncodedString(),
    ]

    static let account = TestAccount(name: "prod", id: TestAccount.prod.id, token: token)

    /// Everything captured, labelled by where it came from.
    final class Capture: Sendable {
        private let captured = Mutex<[(label: String, text: String)]>([])

        var pieces: [(label: String, text: String)] { captured.withLock { $0 } }

        func add(_ label: String, _ text: String) { captured.withLock { $0.append((label, text)) } }

        func add(_ label: String, _ result: CommandResult) {
            add("\(label) (stdout)", result.stdout)
            add("\(label) (stderr)", result.stderr)
        }

        func leaks() -> [String] {
            pieces.flatMap { piece in
                SecretLeakTests.secrets.filter { piece.text.contains($0) }.map { "\($0) in \(piece.label)" }
            }
        }
    }

    @Test func noSecretAppearsInAnyOutputLogOrStateFile() async throws {
        let proxyAuthorization = "Basic " + Data("ops:\(Self.proxyPassword)".utf8).base64EncodedString()
        try await withConnectProxy(requiredAuthorization: proxyAuthorization) { proxy in
            try await withDaemonRig { rig in
                try await withReceiver { refusing in
                    refusing.setDefaultResponse(.init(status: 404, body: "no_such_hook"))
                    // A port where nothing listens: connection refused. It stays bound, so that no server of
                    // another test can take it meanwhile.
                    let closed = try LoopbackListener(listening: false)
                    defer { withExtendedLifetime(closed) {} }
                    let closedURL = "http://127.0.0.1:\(closed.port)/hooks/SECRETPATH123/gone?token=SECRETQUERY456"

                    let account = Self.account
                    rig.register([account])
                    let changing = rig.simulator.addConnector(
                        accountID: account.id, domain: "leak.example", status: "pending")
                    rig.simulator.addConnector(accountID: account.id, domain: "calm.example", status: "verified")
                    let secretFile = try rig.directory.write("signing.secret", Self.signingSecret + "\n")
                    let stateDirectory = rig.directory.path("state")
                    let capture = Capture()

                    func config(chatPath: String) -> ConfigFile {
                        rig.config(
                            accounts: [account],
                            [
                                ("state_file", stateDirectory + "/state.json"), ("log_level", "debug"),
                                ("proxy", "http://ops:\(Self.proxyPassword)@127.0.0.1:\(proxy.port)"),
                            ]
                        )
                        .webhook(
                            "signed", type: "generic",
                            url: rig.receiver.url(path: "/hooks/SECRETPATH123?token=SECRETQUERY456"),
                            [("secret_file", secretFile), ("events", "all")]
                        )
                        .webhook("chat", type: "slack", url: refusing.url(path: chatPath))
                        .webhook("gone", type: "generic", url: closedURL)
                    }
                    let path = try config(chatPath: "/hooks/SECRETPATH123/chat?token=SECRETQUERY456").write(
                        to: rig.directory)
                    func run(_ arguments: [String]) async throws -> CommandResult {
                        let result = try await runSSOWatch(arguments + ["--config", path], timeout: .seconds(30))
                        capture.add("ssowatch \(arguments.joined(separator: " "))", result)
                        return result
                    }

                    let daemon = try rig.startDaemon(path)
                    do {
                        try await rig.waitForStatusLine("after the baseline") {
                            $0.hasPrefix("2 connectors in 1 account")
                        }
                        // A delivery that succeeds (signed), one refused with 404, one to a closed port.
                        rig.simulator.setStatus(accountID: account.id, connectorID: changing, status: "verified")
                        try await rig.waitForDeliveries(count: 1)
                        try await daemon.waitForOutput(containing: "webhook refused the notification", in: .stderr)
                        try await daemon.waitForOutput(containing: "delivery failed, will retry", in: .stderr)
                        #expect(rig.deliveries.value[0].header("webhook-signature")?.hasPrefix("v1,") == true)

                        // Poll errors: a revoked token (403), then 5xx answers.
                        let beforeRevoke = rig.notify.received.count
                        rig.simulator.removeToken(account.token, accountID: account.id)
                        try await rig.waitForStatusLine("prod failing", after: beforeRevoke) { $0.contains("(prod: ") }
                        capture.add("poll with a revoked token", try await run(["poll"]))
                        capture.add(
                            "connectors list with a revoked token",
                            try await run(["connectors", "list", "--account", "prod"]))
                        rig.simulator.addAccount(id: account.id, token: account.token)
                        rig.simulator.injectFault(.htmlError(503), accountID: account.id)
                        rig.simulator.injectFault(.httpStatus(500, body: "{\"success\":false}"), accountID: account.id)
                        let beforeRecovery = rig.notify.received.count
                        try await rig.waitForStatusLine("prod recovered", after: beforeRecovery) {
                            !$0.contains("(prod: ")
                        }

                        // A reload that moves the refusing webhook to another secret URL.
                        try config(chatPath: "/hooks/SECRETPATH123/moved?token=SECRETQUERY456").write(to: rig.directory)
                        let beforeReload = rig.notify.received.count
                        daemon.signal(SIGHUP)
                        try await rig.notify.waitForMessage(containing: "READY=1", after: beforeReload)
                        try await daemon.waitForOutput(containing: "configuration reloaded", in: .stderr)

                        // Every command, while the daemon runs.
                        _ = try await run(["status"])
                        _ = try await run(["status", "--json"])
                        _ = try await run(["check-config"])
                        _ = try await run(["test-notify"])
                        _ = try await run(["test-notify", "--webhook", "signed"])
                        _ = try await run(["poll"])
                        _ = try await run(["poll", "--json"])
                        _ = try await run(["connectors", "list", "--account", "prod"])
                        _ = try await run(["connectors", "list", "--account", "prod", "--json"])
                        _ = try await run(["connectors", "get", changing, "--account", "prod"])
                        _ = try await run([
                            "connectors", "get", "0123456789abcdef0123456789abcdef", "--account", "prod",
                        ])
                        let byState = try await runSSOWatch(["status", "--state-file", stateDirectory + "/state.json"])
                        capture.add("status --state-file", byState)

                        daemon.signal(SIGTERM)
                        let stopped = try await daemon.waitForExit(timeout: .seconds(15))
                        #expect(stopped.status == 0, "\(stopped)")
                        capture.add("ssowatch run", stopped)
                    } catch {
                        _ = try? await daemon.killAndReap()
                        throw error
                    }

                    for file in try FileManager.default.contentsOfDirectory(atPath: stateDirectory) {
                        let bytes = try Data(contentsOf: URL(fileURLWithPath: stateDirectory + "/" + file))
                        capture.add("state directory file \(file)", String(decoding: bytes, as: UTF8.self))
                    }
                    #expect(capture.leaks().isEmpty, "secrets written: \(capture.leaks())")

                    // The capture is real: the logs name the webhooks by name and host, and the commands ran.
                    let log = daemon.stderr
                    #expect(log.contains("webhook=signed"), "\(log)")
                    #expect(log.contains("host=127.0.0.1"), "\(log)")
                    #expect(log.contains("Cloudflare error 10000"), "the 403 was logged")
                    #expect(log.contains("notification delivered"))
                    #expect(capture.pieces.count >= 30)
                    let statusText = capture.pieces.first { $0.label == "ssowatch status --json (stdout)" }?.text ?? ""
                    #expect(statusText.contains("\"host\": \"127.0.0.1\""), "\(statusText)")
                    #expect(rig.directory.exists("state/state.json"))
                    #expect(proxy.requests.count >= 10, "every request went through the proxy")
                    #expect(proxy.requests.allSatisfy { $0.authorization == proxyAuthorization })
                }
            }
        }
    }

    @Test func secretFilesOthersCanReadAreReported() async throws {
        try await withDaemonRig { rig in
            let account = TestAccount(name: "prod", id: TestAccount.prod.id, token: "cfut_modes_token_4d5e")
            rig.register([account])
            let secretFile = try rig.directory.write("open.secret", Self.signingSecret + "\n", mode: 0o644)
            let path = try rig.config(accounts: [account])
                .webhook("signed", type: "generic", url: rig.receiver.url(path: "/x"), [("secret_file", secretFile)])
                .write(to: rig.directory)
            let tokenFile = rig.directory.path("token-prod")
            let urlFile = rig.directory.path("webhook-signed.url")
            for file in [tokenFile, urlFile] {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
            }

            let checked = try await runSSOWatch(["check-config", "--config", path])
            #expect(checked.status == 0, "a readable secret file is a warning: \(checked)")
            let output = checked.stdout + checked.stderr
            for file in [tokenFile, urlFile, secretFile] {
                let warning = output.split(separator: "\n").first {
                    $0.contains(file) && $0.contains("readable by other")
                }
                #expect(warning?.contains("mode 644") == true, "no warning naming \(file):\n\(output)")
                #expect(warning?.contains("chmod o-r \(file)") == true, "\(String(describing: warning))")
            }
            #expect(!output.contains("cfut_modes_token") && !output.contains(Self.signingSecretBase64))

            try await rig.withDaemon(path) { daemon in
                let log = try await daemon.waitForOutput(containing: "readable by other users", in: .stderr)
                try await rig.notify.waitForMessage(containing: "READY=1")
                for file in [tokenFile, urlFile, secretFile] {
                    #expect(log.contains(file) || daemon.stderr.contains(file), "the daemon warns about \(file)")
                }
            }
        }
    }
}
