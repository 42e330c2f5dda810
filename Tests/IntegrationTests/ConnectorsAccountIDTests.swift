import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// `ssowatch connectors --account-id`: which token and API it uses, and how it checks the token.
@Suite struct ConnectorsAccountIDTests: ConnectorsCommandSuite {
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
}
