import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// `ssowatch connectors update`, `delete` (with its confirmation) and `begin-verification`.
@Suite struct ConnectorsUpdateDeleteTests: ConnectorsCommandSuite {
    @Test func updateEnablesAVerifiedConnector() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "on.example.com", status: "verified")

            let result = try await setup.run(["connectors", "update", id, "--enabled", "true", "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            #expect(field("enabled", in: result.stdout) == "yes", "\(result)")
            #expect(setup.simulator.connector(accountID: Self.prod.id, id: id)?.enabled == true)
            let request = try onlyRequest(setup)
            #expect(request.method == "PATCH")
            #expect(request.path == setup.connectorsPath() + "/" + id)
            #expect(request.bodyString == #"{"enabled":true}"#)
        }
    }

    @Test func updateOfFedrampLanguageOnlySendsThatField() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "f.example.com")
            let result = try await setup.run([
                "connectors", "update", id, "--fedramp-language", "true", "--account", "prod",
            ])
            #expect(result.status == 0, "\(result)")
            #expect(try onlyRequest(setup).bodyString == #"{"use_fedramp_language":true}"#)
        }
    }

    @Test func enablingAnUnverifiedConnectorShowsWhyCloudflareRefused() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "early.example.com")
            let result = try await setup.run(["connectors", "update", id, "--enabled", "true", "--account", "prod"])
            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("1004"), "\(result)")
            #expect(result.stderr.contains("verified before it can be enabled"), "\(result)")
            #expect(setup.simulator.connector(accountID: Self.prod.id, id: id)?.enabled == false)
        }
    }

    @Test func deleteWithYesDeletes() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "gone.example.com")

            let result = try await setup.run(["connectors", "delete", id, "--yes", "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "Deleted connector \(id).\n")
            #expect(setup.simulator.connector(accountID: Self.prod.id, id: id) == nil)
            #expect(requestLines(setup) == ["DELETE \(setup.connectorsPath())/\(id)"])
        }
    }

    @Test(arguments: [nil, "y\n", "yes\n"])
    func deleteWithoutYesAndWithoutATerminalIsAUsageErrorAndSendsNothing(stdin: String?) async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "kept.example.com")

            let result = try await setup.run(["connectors", "delete", id, "--account", "prod"], stdin: stdin)

            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains("--yes"), "\(result)")
            #expect(!result.stdout.contains("Deleted"))
            #expect(setup.simulator.requests.isEmpty, "nothing is sent: \(requestLines(setup))")
            #expect(setup.simulator.connector(accountID: Self.prod.id, id: id) != nil)
        }
    }

    /// Runs `connectors delete ID --account prod` with a terminal as standard input, waits for the question
    /// on standard error, types `answer`, and returns what the command printed and how it ended.
    private func deleteAnswering(_ answer: String, id: String, setup: Setup) async throws -> (
        prompt: String, result: CommandResult
    ) {
        try await withSSOWatchProcess(
            ["connectors", "delete", id, "--account", "prod", "--config", setup.configPath], terminal: true
        ) { command in
            let prompt = try await command.waitForOutput(containing: "[y/N] ", in: .stderr, timeout: .seconds(30))
            #expect(setup.simulator.requests.allSatisfy { $0.method == "GET" }, "nothing deleted before the answer")
            try command.type(answer)
            return (prompt, try await command.waitForExit(timeout: .seconds(30)))
        }
    }

    @Test func deleteOnATerminalShowsTheConnectorAndNoMeansNothingIsDeleted() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "live.example.com", status: "verified", enabled: true)

            let (prompt, result) = try await deleteAnswering("n\n", id: id, setup: setup)

            #expect(prompt.contains("email domain live.example.com, status verified, enabled yes"), "\(prompt)")
            #expect(prompt.contains("Warning: this connector is enabled"), "\(prompt)")
            #expect(prompt.contains("turns SSO off for live.example.com"), "\(prompt)")
            #expect(prompt.hasSuffix("Delete connector \(id) for live.example.com (status verified)? [y/N] "))
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("not deleted"), "\(result)")
            #expect(!result.stdout.contains("Deleted"), "\(result)")
            #expect(requestLines(setup) == ["GET \(setup.connectorsPath())/\(id)"], "no DELETE")
            #expect(setup.simulator.connector(accountID: Self.prod.id, id: id) != nil)
        }
    }

    @Test func deleteOnATerminalDeletesWhenTheAnswerIsYes() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "old.example.com", status: "failed")

            let (prompt, result) = try await deleteAnswering("Yes\n", id: id, setup: setup)

            #expect(prompt.contains("email domain old.example.com, status failed, enabled no"), "\(prompt)")
            #expect(!prompt.contains("Warning"), "a disabled connector needs no warning: \(prompt)")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "Deleted connector \(id).\n", "\(result)")
            #expect(
                requestLines(setup) == [
                    "GET \(setup.connectorsPath())/\(id)", "DELETE \(setup.connectorsPath())/\(id)",
                ])
            #expect(setup.simulator.connector(accountID: Self.prod.id, id: id) == nil)
        }
    }

    @Test func deleteResolvesTheAccountBeforeAskingAnything() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "kept.example.com")
            let result = try await withSSOWatchProcess(
                ["connectors", "delete", id, "--account", "nosuch", "--config", setup.configPath], terminal: true
            ) { command in try await command.waitForExit(timeout: .seconds(30)) }
            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains("no [account \"nosuch\"]"), "\(result)")
            #expect(!result.stderr.contains("[y/N]"), "\(result)")
            #expect(setup.simulator.requests.isEmpty)
        }
    }

    @Test func beginVerificationRestartsTheDNSCheck() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "again.example.com", status: "failed")

            let result = try await setup.run(["connectors", "begin-verification", id, "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("Verification started for \(id)"), "\(result)")
            #expect(setup.simulator.connector(accountID: Self.prod.id, id: id)?.status == "pending")
            let request = try onlyRequest(setup)
            #expect(request.method == "POST")
            #expect(request.path == "\(setup.connectorsPath())/\(id)/begin_verification")
            #expect(request.body.isEmpty)
        }
    }
}
