import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// `ssowatch connectors` when Cloudflare refuses or is unreachable, and on usage errors: exit status
/// and message.
@Suite struct ConnectorsCommandErrorTests: ConnectorsCommandSuite {
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
}
