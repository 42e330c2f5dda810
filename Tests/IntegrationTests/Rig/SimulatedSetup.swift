import SSOWatchSimulator

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
        account.listPath
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
