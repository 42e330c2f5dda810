import Foundation
import SSOWatchCore
import SSOWatchSimulator
import Testing

/// `ssowatch connectors …`, `poll` and `--version` run against the simulated Cloudflare API: what the
/// user sees (exit status, stdout, stderr) and what Cloudflare receives.
@Suite struct ConnectorsCommandTests {
    typealias Setup = SimulatedSetup
    static let prod = TestAccount.prod
    static let staging = TestAccount.staging
    static let unknownConnector = "0123456789abcdef0123456789abcdef"

    /// The requests the simulator received, as `METHOD path` lines.
    private func requestLines(_ setup: Setup) -> [String] {
        setup.simulator.requests.map { "\($0.method) \($0.path)" }
    }

    /// The only request the simulator received.
    private func onlyRequest(_ setup: Setup, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> RecordedRequest
    {
        let requests = setup.simulator.requests
        try #require(requests.count == 1, "requests: \(requestLines(setup))", sourceLocation: sourceLocation)
        return requests[0]
    }

    /// The stdout lines that start with `key` in `ConnectorTable.describe` output, value only.
    private func field(_ key: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(key + " ") }.map {
            $0.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
        }
    }

    /// The character offset of `text` in `line`.
    private func column(of text: String, in line: String) -> Int? {
        line.firstRange(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) }
    }

    /// JSON text re-serialised with sorted keys, to compare documents regardless of formatting.
    private func canonicalJSON(_ text: String) throws -> String {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - list

    @Test func listPrintsATableOfTheAccountsConnectors() async throws {
        try await withSimulatedSetup { setup in
            let verified = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "verified.example.com", status: "verified", enabled: true)
            let pending = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "pending.example.com", status: "pending")
            setup.simulator.addConnector(accountID: Self.staging.id, domain: "other-account.example.com")

            let result = try await setup.run(["connectors", "list", "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            try #require(lines.count == 3, "\(result)")
            #expect(lines[0].split(separator: " ") == ["DOMAIN", "STATUS", "ENABLED", "ID", "TXT", "VALUE"])
            #expect(
                lines[1].split(separator: " ").map(String.init) == [
                    "verified.example.com", "verified", "yes", verified, "cloudflare_dashboard_sso=\(verified)",
                ])
            #expect(
                lines[2].split(separator: " ").map(String.init) == [
                    "pending.example.com", "pending", "no", pending, "cloudflare_dashboard_sso=\(pending)",
                ])
            #expect(column(of: "STATUS", in: lines[0]) == column(of: "verified ", in: lines[1]), "columns line up")
            #expect(column(of: "ID", in: lines[0]) == column(of: pending, in: lines[2]))
            let request = try onlyRequest(setup)
            #expect(request.method == "GET")
            #expect(request.path == setup.connectorsPath())
            #expect(request.query == nil)
            #expect(request.header("Authorization") == "Bearer \(Self.prod.token)")
            #expect(request.header("User-Agent") == "ssowatch/\(SSOWatchVersion.string)")
        }
    }

    @Test func listOfAnEmptyAccountSaysSo() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(["connectors", "list", "--account", "staging"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "No SSO connectors.\n")
            #expect(try onlyRequest(setup).header("Authorization") == "Bearer \(Self.staging.token)")
        }
    }

    @Test func listJSONPrintsTheRawResultIncludingFieldsSSOWatchDoesNotKnow() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "raw.example.com")
            let raw = """
                {"id":"\(id)","email_domain":"raw.example.com","enabled":false,"brand_new_field":{"x":[1,2]},\
                "verification":{"code":"cloudflare_dashboard_sso=\(id)","status":"some_future_status"}}
                """
            setup.simulator.setRawConnectorJSON(accountID: Self.prod.id, connectorID: id, json: raw)

            let result = try await setup.run(["connectors", "list", "--account", "prod", "--json"])

            #expect(result.status == 0, "\(result)")
            #expect(try canonicalJSON(result.stdout) == canonicalJSON("[\(raw)]"), "\(result)")
        }
    }

    @Test func listWarnsWhenCloudflareReportsMoreConnectorsThanItReturned() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.addConnector(accountID: Self.prod.id, domain: "one.example.com")
            setup.simulator.setReportedTotalCount(accountID: Self.prod.id, 30)

            let result = try await setup.run(["connectors", "list", "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("one.example.com"))
            #expect(result.stderr.contains("warning"), "\(result)")
            #expect(result.stderr.contains("30"), "\(result)")
        }
    }

    // MARK: - get

    @Test func getDescribesOneConnector() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "get.example.com", status: "failed")

            let result = try await setup.run(["connectors", "get", id, "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            #expect(field("id", in: result.stdout) == id, "\(result)")
            #expect(field("email_domain", in: result.stdout) == "get.example.com")
            #expect(field("status", in: result.stdout) == "failed")
            #expect(field("enabled", in: result.stdout) == "no")
            #expect(field("txt_value", in: result.stdout) == "cloudflare_dashboard_sso=\(id)")
            let request = try onlyRequest(setup)
            #expect(request.method == "GET")
            #expect(request.path == setup.connectorsPath() + "/" + id)
        }
    }

    @Test func getJSONPrintsTheRawObject() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "json.example.com")
            let result = try await setup.run(["connectors", "get", id, "--account", "prod", "--json"])
            #expect(result.status == 0, "\(result)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["id"] as? String == id, "\(result)")
            #expect(object?["email_domain"] as? String == "json.example.com")
            #expect((object?["verification"] as? [String: Any])?["status"] as? String == "pending")
        }
    }

    @Test func getOfAnUnknownConnectorIsAnAPIError() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(["connectors", "get", Self.unknownConnector, "--account", "prod"])
            #expect(result.status == 69, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("HTTP 404"), "\(result)")
            #expect(result.stderr.contains("1003 SSO connector not found"), "\(result)")
        }
    }

    // MARK: - create

    @Test func createBeginsVerificationAndPrintsTheTXTRecordToPublish() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "new.example.com", "--account", "prod",
            ])

            #expect(result.status == 0, "\(result)")
            let created = try #require(setup.simulator.connectors(accountID: Self.prod.id).first)
            #expect(created.emailDomain == "new.example.com")
            #expect(created.status == "pending")
            #expect(field("id", in: result.stdout) == created.id, "\(result)")
            #expect(field("status", in: result.stdout) == "pending")
            #expect(result.stdout.contains("Publish this DNS record"), "\(result)")
            #expect(result.stdout.contains("new.example.com.  TXT  \"cloudflare_dashboard_sso=\(created.id)\""))
            let request = try onlyRequest(setup)
            #expect(request.method == "POST")
            #expect(request.path == setup.connectorsPath())
            #expect(request.bodyString == #"{"begin_verification":true,"email_domain":"new.example.com"}"#)
        }
    }

    @Test func createWithoutBeginningVerificationLeavesItAwaiting() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "later.example.com", "--no-begin-verification", "--account", "prod",
            ])

            #expect(result.status == 0, "\(result)")
            #expect(field("status", in: result.stdout) == "awaiting", "\(result)")
            #expect(setup.simulator.connectors(accountID: Self.prod.id).map(\.status) == ["awaiting"])
            #expect(try onlyRequest(setup).bodyString.contains(#""begin_verification":false"#))
        }
    }

    @Test func createWithFedrampLanguage() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "gov.example.com", "--fedramp-language", "--account", "prod",
            ])

            #expect(result.status == 0, "\(result)")
            #expect(field("use_fedramp_language", in: result.stdout) == "yes", "\(result)")
            #expect(setup.simulator.connectors(accountID: Self.prod.id).map(\.useFedrampLanguage) == [true])
            #expect(
                try onlyRequest(setup).jsonObject?.keys.sorted() == [
                    "begin_verification", "email_domain", "use_fedramp_language",
                ])
        }
    }

    @Test func createJSONPrintsTheRawResult() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run([
                "connectors", "create", "--domain", "j.example.com", "--account", "prod", "--json",
            ])
            #expect(result.status == 0, "\(result)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["email_domain"] as? String == "j.example.com", "\(result)")
            #expect(!result.stdout.contains("Publish this DNS record"))
        }
    }

    @Test func createOfADuplicateDomainReportsCloudflaresRefusal() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.addConnector(accountID: Self.prod.id, domain: "dup.example.com")
            let result = try await setup.run([
                "connectors", "create", "--domain", "dup.example.com", "--account", "prod",
            ])
            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("1002"), "\(result)")
            #expect(result.stderr.contains("already exists"), "\(result)")
        }
    }

    // MARK: - update, delete, begin-verification

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

    // MARK: - --account-id

    @Test func accountIDUsesTheEnvironmentTokenAndTheConfiguredAPI() async throws {
        try await withSimulatedSetup { setup in
            let envToken = "cfut_from_environment_91c2"
            setup.simulator.addAccount(id: Self.prod.id, token: envToken)
            setup.simulator.addConnector(accountID: Self.prod.id, domain: "byid.example.com")

            let result = try await setup.run(
                ["connectors", "list", "--account-id", Self.prod.id], environment: ["CLOUDFLARE_API_TOKEN": envToken])

            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("byid.example.com"))
            let request = try onlyRequest(setup)
            #expect(request.header("Authorization") == "Bearer \(envToken)", "CLOUDFLARE_API_TOKEN wins")
            #expect(request.path == setup.connectorsPath())
        }
    }

    @Test func accountIDFindsTheConfigurationThroughSSOWATCH_CONFIG() async throws {
        try await withSimulatedSetup { setup in
            let envToken = "cfut_from_environment_3d7e"
            setup.simulator.addAccount(id: Self.staging.id, token: envToken)

            let result = try await runSSOWatch(
                ["connectors", "list", "--account-id", Self.staging.id.uppercased()],
                environment: ["CLOUDFLARE_API_TOKEN": envToken, "SSOWATCH_CONFIG": setup.configPath])

            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "No SSO connectors.\n")
            #expect(try onlyRequest(setup).path == setup.connectorsPath(.staging), "the id is sent in lower case")
        }
    }

    @Test func accountIDFallsBackToTheDaemonToken() async throws {
        let daemonToken = "cfut_daemon_default_token_aa01"
        try await withSimulatedSetup(configure: { $0.daemon("api_token_env", "SSOWATCH_TEST_DAEMON_TOKEN") }) { setup in
            setup.simulator.addAccount(id: Self.prod.id, token: daemonToken)

            let result = try await setup.run(
                ["connectors", "list", "--account-id", Self.prod.id],
                environment: ["SSOWATCH_TEST_DAEMON_TOKEN": daemonToken])

            #expect(result.status == 0, "\(result)")
            #expect(try onlyRequest(setup).header("Authorization") == "Bearer \(daemonToken)")
        }
    }

    @Test func accountIDWithoutAnyTokenIsAConfigurationError() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(["connectors", "list", "--account-id", Self.prod.id])
            #expect(result.status == 78, "\(result)")
            #expect(result.stderr.contains("CLOUDFLARE_API_TOKEN"), "\(result)")
            #expect(setup.simulator.requests.isEmpty)
        }
    }

    @Test func accountIDTrimsATrailingCarriageReturnFromCLOUDFLARE_API_TOKEN() async throws {
        try await withSimulatedSetup { setup in
            let envToken = "cfut_pasted_from_windows_61b0"
            setup.simulator.addAccount(id: Self.prod.id, token: envToken)

            let result = try await setup.run(
                ["connectors", "list", "--account-id", Self.prod.id],
                environment: ["CLOUDFLARE_API_TOKEN": envToken + "\r"])

            #expect(result.status == 0, "\(result)")
            #expect(try onlyRequest(setup).header("Authorization") == "Bearer \(envToken)")
            #expect(!result.stderr.contains(envToken), "\(result)")
        }
    }

    @Test func accountIDWithAnUnknownTokenEndingInCRShowsCloudflaresRefusalNotTheToken() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(
                ["connectors", "list", "--account-id", Self.prod.id],
                environment: ["CLOUDFLARE_API_TOKEN": "tokUnknownToTheAPI\r"])
            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("10000"), "\(result)")
            #expect(!result.stderr.contains("tokUnknown") && !result.stdout.contains("tokUnknown"), "\(result)")
            #expect(!result.stderr.contains("invalidHeaderFieldValues"), "\(result)")
        }
    }

    /// A NUL cannot be passed in an environment variable, so three of the four characters are tried here
    /// (every source with all four: `SecretTextTests`).
    @Test(arguments: [("\r", "U+000D"), ("\n", "U+000A"), ("\t", "U+0009")])
    func accountIDRefusesAControlCharacterInsideCLOUDFLARE_API_TOKEN(character: String, code: String)
        async throws
    {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(
                ["connectors", "list", "--account-id", Self.prod.id],
                environment: ["CLOUDFLARE_API_TOKEN": "cfut_HEAD\(character)TAILsecret"])

            #expect(result.status == 78, "\(result)")
            #expect(
                result.stderr.contains(
                    "ssowatch: CLOUDFLARE_API_TOKEN contains a control character (\(code)) at position 10"),
                "\(result)")
            for part in ["cfut_HEAD", "TAILsecret", "Bearer", "invalidHeader"] {
                #expect(!result.stderr.contains(part) && !result.stdout.contains(part), "\(part): \(result)")
            }
            #expect(setup.simulator.requests.isEmpty, "nothing is sent: \(requestLines(setup))")
        }
    }

    @Test func accountNameUsesItsOwnTokenEvenWhenCLOUDFLARE_API_TOKENIsSet() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(
                ["connectors", "list", "--account", "staging"],
                environment: ["CLOUDFLARE_API_TOKEN": "cfut_environment_not_for_named_accounts"])
            #expect(result.status == 0, "\(result)")
            #expect(try onlyRequest(setup).header("Authorization") == "Bearer \(Self.staging.token)")
        }
    }

    @Test func connectorIDsAreSentInLowerCase() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "case.example.com")
            let result = try await setup.run(["connectors", "get", id.uppercased(), "--account", "prod"])
            #expect(result.status == 0, "\(result)")
            #expect(try onlyRequest(setup).path == setup.connectorsPath() + "/" + id)
        }
    }

    @Test func aBrokenConfigurationExits78BeforeAnythingIsSent() async throws {
        try await withSimulatedSetup(configure: { $0.daemon("poll_interval", "often") }) { setup in
            let result = try await setup.run(["connectors", "list", "--account", "prod"])
            #expect(result.status == 78, "\(result)")
            #expect(result.stderr.hasPrefix(setup.configPath + ":"), "\(result)")
            #expect(result.stderr.contains("poll_interval"))
            #expect(setup.simulator.requests.isEmpty)
        }
    }

    // MARK: - API errors

    @Test func aRefusedTokenExits69WithCloudflaresCodeAndThePermissionToCheck() async throws {
        try await withSimulatedSetup(configure: { $0.token(of: "prod", "cfut_revoked_token_0000") }) { setup in
            let result = try await setup.run(["connectors", "list", "--account", "prod"])

            #expect(result.status == 69, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("HTTP 403"), "\(result)")
            #expect(result.stderr.contains("10000 Authentication error"), "\(result)")
            #expect(result.stderr.contains("\"SSO Connector Read\""), "\(result)")
            #expect(!result.stderr.contains("cfut_revoked_token"))
        }
    }

    @Test func aRefusedWriteNamesTheWritePermission() async throws {
        try await withSimulatedSetup(configure: { $0.token(of: "prod", "cfut_revoked_token_0001") }) { setup in
            let result = try await setup.run(["connectors", "create", "--domain", "x.example.com", "--account", "prod"])
            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("10000 Authentication error"), "\(result)")
            #expect(result.stderr.contains("\"SSO Connector Write\""), "\(result)")
        }
    }

    @Test func anOutageExits69() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.injectFault(.htmlError(502))
            let result = try await setup.run(["connectors", "list", "--account", "prod"])
            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("HTTP 502"), "\(result)")
            #expect(!result.stderr.contains("<html>"))
        }
    }

    @Test func aRateLimitSaysHowLongToWait() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.injectFault(.rateLimited(retryAfter: 42))
            let result = try await setup.run(["connectors", "list", "--account", "prod"])
            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("971"), "\(result)")
            #expect(result.stderr.contains("42s"), "\(result)")
        }
    }

    @Test func anUnreachableAPIExits69NamingTheHostOnly() async throws {
        // A simulator that was stopped leaves a loopback port nobody listens on.
        let stopped = CloudflareSimulator(threads: 1)
        try await stopped.start()
        let deadURL = stopped.baseURL
        try await stopped.stop()
        try await withTemporaryDirectory { directory in
            let path = try ConfigFile(apiBaseURL: deadURL)
                .daemon("request_timeout", "2s")
                .account("prod", id: Self.prod.id, token: Self.prod.token)
                .write(to: directory)

            let result = try await runSSOWatch(["connectors", "list", "--account", "prod", "--config", path])

            #expect(result.status == 69, "\(result)")
            #expect(result.stderr.contains("127.0.0.1"), "\(result)")
            #expect(!result.stderr.contains(deadURL))
            #expect(!result.stderr.contains(Self.prod.token))
        }
    }

    // MARK: - Usage errors

    @Test(arguments: [
        ["connectors", "get", "not-a-connector-id", "--account", "prod"],
        ["connectors", "get", "0123456789abcdef0123456789abcdeg", "--account", "prod"],
        ["connectors", "list", "--account-id", "023e105f"],
        ["connectors", "list"],
        ["connectors", "list", "--account", "prod", "--account-id", "023e105f4ecef8ad9ca31a8372d0c353"],
        ["connectors", "list", "--account", "no-such-account"],
        ["connectors", "create", "--account", "prod"],
        ["connectors", "create", "--domain", "user@example.com", "--account", "prod"],
        ["connectors", "update", "023e105f4ecef8ad9ca31a8372d0c353", "--account", "prod"],
        ["connectors", "update", "023e105f4ecef8ad9ca31a8372d0c353", "--enabled", "maybe", "--account", "prod"],
        ["connectors", "frobnicate", "--account", "prod"],
    ])
    func usageErrorsExit64AndSendNothing(arguments: [String]) async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(arguments, environment: ["CLOUDFLARE_API_TOKEN": Self.prod.token])
            #expect(result.status == 64, "\(result)")
            #expect(!result.stderr.isEmpty)
            #expect(setup.simulator.requests.isEmpty, "nothing is sent: \(requestLines(setup))")
        }
    }

    @Test func anUnknownAccountNameListsTheConfiguredOnes() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(["connectors", "list", "--account", "prdo"])
            #expect(result.status == 64, "\(result)")
            #expect(result.stderr.contains("prdo"), "\(result)")
            #expect(result.stderr.contains("prod, staging"), "\(result)")
        }
    }

    // MARK: - poll and --version

    @Test func pollPrintsEveryAccountAndExits69WhenOneFails() async throws {
        try await withSimulatedSetup(configure: { $0.token(of: "staging", "cfut_staging_revoked_1111") }) { setup in
            let id = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "polled.example.com", status: "verified")

            let result = try await setup.run(["poll"])

            #expect(result.status == 69, "\(result)")
            #expect(result.stdout.contains("== prod (\(Self.prod.id))"), "\(result)")
            #expect(result.stdout.contains("polled.example.com"), "\(result)")
            #expect(result.stdout.contains(id))
            #expect(result.stdout.contains("== staging (\(Self.staging.id))"), "\(result)")
            #expect(result.stderr.contains("staging"), "\(result)")
            #expect(result.stderr.contains("10000 Authentication error"), "\(result)")
            #expect(!result.stderr.contains("cfut_"), "no token in any message")
            #expect(
                Set(requestLines(setup)) == [
                    "GET \(setup.connectorsPath(.prod))", "GET \(setup.connectorsPath(.staging))",
                ])
            #expect(setup.simulator.requests.allSatisfy { $0.query == nil })
        }
    }

    @Test func pollJSONCarriesEachAccountsConnectorsOrError() async throws {
        try await withSimulatedSetup(configure: { $0.token(of: "staging", "cfut_staging_revoked_2222") }) { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "j.example.com", status: "pending")

            let result = try await setup.run(["poll", "--json"])

            #expect(result.status == 69, "\(result)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            let accounts = try #require(object["accounts"] as? [[String: Any]])
            try #require(accounts.count == 2)
            #expect(accounts.map { $0["name"] as? String } == ["prod", "staging"])
            #expect(accounts[0]["account_id"] as? String == Self.prod.id)
            let connectors = try #require(accounts[0]["connectors"] as? [[String: Any]])
            #expect(connectors.map { $0["id"] as? String } == [id])
            #expect(accounts[0]["error"] is NSNull)
            #expect(accounts[1]["connectors"] is NSNull)
            #expect((accounts[1]["error"] as? String)?.contains("10000") == true)
        }
    }

    @Test func pollOfHealthyAccountsExits0() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.addConnector(accountID: Self.staging.id, domain: "ok.example.com")
            let result = try await setup.run(["poll"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("ok.example.com"))
            #expect(result.stdout.contains("No SSO connectors."), "prod has none")
        }
    }

    @Test func versionPrintsTheVersion() async throws {
        let result = try await runSSOWatch(["--version"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == SSOWatchVersion.string + "\n")
    }
}
