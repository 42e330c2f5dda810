import ArgumentParser
import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState

struct ConnectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors",
        abstract: "Manage SSO connectors through the Cloudflare API.",
        subcommands: [
            ListConnectors.self, GetConnector.self, CreateConnector.self, UpdateConnector.self,
            DeleteConnector.self, BeginVerification.self,
        ]
    )
}

/// `--account NAME | --account-id ID`, `--json`, `--config`: how every `connectors` command
/// finds its account, token and API.
struct AccountOptions: ParsableArguments {
    @Option(name: .long, help: "An [account \"NAME\"] of the configuration (its token and API URL are used).")
    var account: String?

    @Option(name: .customLong("account-id"), help: "A Cloudflare account id (token from CLOUDFLARE_API_TOKEN).")
    var accountID: String?

    @Flag(name: .long, help: "Print the API's raw `result` as JSON.")
    var json = false

    @OptionGroup var config: ConfigOption

    func validate() throws {
        switch (account, accountID) {
        case (nil, nil): throw ValidationError("give --account NAME or --account-id ID")
        case (.some, .some): throw ValidationError("give either --account or --account-id, not both")
        case (nil, .some(let id)) where !isCloudflareID(id):
            throw ValidationError("--account-id must be 32 hexadecimal characters")
        default: break
        }
    }

    /// Resolves the account to an id and an API client (docs/COMMANDS.md).
    func makeClient(transport: AsyncHTTPTransport) throws -> (accountID: String, client: CloudflareClient) {
        let environment = ProcessInfo.processInfo.environment
        if let name = account {
            let configuration = try config.load()
            guard let account = configuration.account(named: name) else {
                let known = configuration.accounts.map(\.name).joined(separator: ", ")
                throw usageError("no [account \"\(name)\"] in \(configuration.path) (accounts: \(known))")
            }
            try transport.useNetwork(of: configuration)
            let client = CloudflareClient(
                baseURL: configuration.daemon.apiBaseURL, token: account.token, transport: transport,
                timeout: configuration.daemon.requestTimeout)
            return (account.accountID, client)
        }
        let id = (accountID ?? "").lowercased()
        var configuration: Configuration?
        if config.isExplicit {
            configuration = try config.load()
        }
        let token: Secret
        let fromEnvironment: Secret?
        do {
            fromEnvironment = try SecretText.environmentToken(environment)
        } catch {
            // A configuration problem, like a bad token in the INI file (README, "Choices").
            printError(
                "ssowatch: \(SecretText.environmentTokenVariable) \(error); set it to the token alone "
                    + "(the value is not shown)")
            throw ExitCode(ExitStatus.config)
        }
        if let fromEnvironment {
            token = fromEnvironment
        } else {
            if configuration == nil, FileManager.default.fileExists(atPath: config.path) {
                configuration = try config.load()
            }
            guard let daemonToken = configuration?.daemon.apiToken else {
                printError(
                    "ssowatch: no API token: set CLOUDFLARE_API_TOKEN, or give a configuration whose [daemon] "
                        + "section has api_token, api_token_file, api_token_env or api_token_credential")
                throw ExitCode(ExitStatus.config)
            }
            token = daemonToken
        }
        try transport.useNetwork(of: configuration)
        let base = configuration?.daemon.apiBaseURL ?? DaemonConfig.defaults(environment: environment).apiBaseURL
        let timeout = configuration?.daemon.requestTimeout ?? 30
        return (id, CloudflareClient(baseURL: base, token: token, transport: transport, timeout: timeout))
    }

    /// Runs one API operation with a transport that is shut down afterwards; API errors are
    /// printed with Cloudflare's code and message and end the process with status 69.
    func withClient(_ body: (String, CloudflareClient) async throws -> Void) async throws {
        let transport = AsyncHTTPTransport()
        do {
            let (id, client) = try makeClient(transport: transport)
            try await body(id, client)
            await transport.shutdown()
        } catch let error as CloudflareAPIError {
            await transport.shutdown()
            printError("ssowatch: \(error)")
            throw ExitCode(ExitStatus.unavailable)
        } catch {
            await transport.shutdown()
            throw error
        }
    }
}

/// A connector id argument, checked before anything is sent.
struct ConnectorIDArgument: ParsableArguments {
    @Argument(help: "The connector id (32 hexadecimal characters).")
    var id: String

    func validate() throws {
        guard isCloudflareID(id) else { throw ValidationError("the connector id must be 32 hexadecimal characters") }
    }
}

struct ListConnectors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the account's connectors.")
    @OptionGroup var options: AccountOptions

    func run() async throws {
        try await options.withClient { accountID, client in
            let list = try await client.listConnectors(accountID: accountID)
            for warning in list.warnings { printError("ssowatch: warning: \(warning)") }
            print(options.json ? list.rawResult : ConnectorTable.render(list.connectors))
        }
    }
}

struct GetConnector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one connector.")
    @OptionGroup var options: AccountOptions
    @OptionGroup var connector: ConnectorIDArgument

    func run() async throws {
        try await options.withClient { accountID, client in
            let response = try await client.getConnector(accountID: accountID, connectorID: connector.id.lowercased())
            print(options.json ? response.rawResult : ConnectorTable.describe(response.connector))
        }
    }
}

struct CreateConnector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a connector for an email domain and begin its verification.")
    @OptionGroup var options: AccountOptions
    @Option(name: .long, help: "The email domain, e.g. example.com.") var domain: String
    @Flag(name: .customLong("no-begin-verification"), help: "Create it, but verify later.")
    var noBeginVerification = false
    @Flag(name: .customLong("fedramp-language"), help: "Show FedRAMP language at login.") var fedrampLanguage = false

    func validate() throws {
        let trimmed = domain.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.contains(" "), !trimmed.contains("@"), !trimmed.contains("/") else {
            throw ValidationError("--domain must be a bare email domain such as example.com")
        }
    }

    func run() async throws {
        try await options.withClient { accountID, client in
            let response = try await client.createConnector(
                accountID: accountID, emailDomain: domain, beginVerification: !noBeginVerification,
                useFedrampLanguage: fedrampLanguage ? true : nil)
            if options.json {
                print(response.rawResult)
            } else {
                print(ConnectorTable.describe(response.connector))
                print(ConnectorTable.dnsInstructions(response.connector))
            }
        }
    }
}

struct UpdateConnector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Enable or disable a connector.")
    @OptionGroup var options: AccountOptions
    @OptionGroup var connector: ConnectorIDArgument
    @Option(name: .long, help: "true or false.") var enabled: Bool?
    @Option(name: .customLong("fedramp-language"), help: "true or false.") var fedrampLanguage: Bool?

    func validate() throws {
        if enabled == nil && fedrampLanguage == nil {
            throw ValidationError("nothing to update: give --enabled and/or --fedramp-language")
        }
    }

    func run() async throws {
        try await options.withClient { accountID, client in
            let response = try await client.updateConnector(
                accountID: accountID, connectorID: connector.id.lowercased(), enabled: enabled,
                useFedrampLanguage: fedrampLanguage)
            print(options.json ? response.rawResult : ConnectorTable.describe(response.connector))
        }
    }
}

struct DeleteConnector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a connector.")
    @OptionGroup var options: AccountOptions
    @OptionGroup var connector: ConnectorIDArgument
    @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false

    func run() async throws {
        let decision = DeletionConfirmation.decide(yes: yes, stdinIsTerminal: isatty(STDIN_FILENO) == 1)
        // The account is resolved first, so a wrong --account or configuration is reported as usual.
        try await options.withClient { accountID, client in
            let id = connector.id.lowercased()
            switch decision {
            case .refuse:
                throw usageError("refusing to delete without --yes: there is no terminal to ask for confirmation")
            case .ask:
                let current = try await client.getConnector(accountID: accountID, connectorID: id).connector
                // On standard error, written at once: standard output may be a pipe, and is buffered.
                FileHandle.standardError.write(Data(DeletionConfirmation.prompt(for: current, id: id).utf8))
                guard DeletionConfirmation.isYes(readLine()) else {
                    printError("ssowatch: not deleted (the answer was not yes)")
                    throw ExitCode(ExitStatus.failure)
                }
            case .delete:
                break
            }
            let deleted = try await client.deleteConnector(accountID: accountID, connectorID: id)
            print(options.json ? "{\n  \"id\" : \"\(deleted)\"\n}" : "Deleted connector \(deleted).")
        }
    }
}

struct BeginVerification: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "begin-verification", abstract: "Ask Cloudflare to look for the DNS TXT record again.")
    @OptionGroup var options: AccountOptions
    @OptionGroup var connector: ConnectorIDArgument

    func run() async throws {
        try await options.withClient { accountID, client in
            try await client.beginVerification(accountID: accountID, connectorID: connector.id.lowercased())
            print(
                options.json
                    ? "null"
                    : "Verification started for \(connector.id). Cloudflare checks the TXT record for about two days.")
        }
    }
}
