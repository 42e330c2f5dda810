import SSOWatchSimulator

/// A simulated account as the integration tests configure it.
struct TestAccount: Sendable {
    var name: String
    var id: String
    var token: String

    /// `[account "prod"]`, whose token the simulator accepts.
    static let prod = TestAccount(
        name: "prod", id: "023e105f4ecef8ad9ca31a8372d0c353", token: "cfut_prod_integration_0f3a9d")
    /// `[account "staging"]`, with a token of its own.
    static let staging = TestAccount(
        name: "staging", id: "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f", token: "cfut_staging_integration_77b1e4")
}

/// A running simulator that knows `TestAccount.prod` and `.staging`, a temporary directory, and a
/// configuration file in it that points at the simulator with both accounts.
struct SimulatedSetup: Sendable {
    let simulator: CloudflareSimulator
    let directory: TemporaryDirectory
    /// The written INI file.
    let configPath: String

    /// `runSSOWatch(arguments + ["--config", configPath])`.
    func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> CommandResult {
        try await runSSOWatch(
            arguments + ["--config", configPath], environment: environment, stdin: stdin, timeout: timeout)
    }

    /// The API path of an account's connectors, as the simulator records it.
    func connectorsPath(_ account: TestAccount = .prod) -> String {
        "/client/v4/accounts/\(account.id)/sso_connectors"
    }
}

/// Runs `body` with a `SimulatedSetup`. `configure` may change the configuration before it is written
/// (its default has `[daemon] api_base_url` and both accounts with their tokens in files).
func withSimulatedSetup<T>(
    configure: (ConfigFile) -> ConfigFile = { $0 }, _ body: (SimulatedSetup) async throws -> T
) async throws -> T {
    try await withSimulator { simulator in
        for account in [TestAccount.prod, .staging] {
            simulator.addAccount(id: account.id, token: account.token)
        }
        return try await withTemporaryDirectory { directory in
            let config = configure(
                ConfigFile(simulator: simulator)
                    .account(TestAccount.prod.name, id: TestAccount.prod.id, token: TestAccount.prod.token)
                    .account(TestAccount.staging.name, id: TestAccount.staging.id, token: TestAccount.staging.token))
            let path = try config.write(to: directory)
            return try await body(SimulatedSetup(simulator: simulator, directory: directory, configPath: path))
        }
    }
}
