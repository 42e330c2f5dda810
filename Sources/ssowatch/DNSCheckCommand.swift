import ArgumentParser
import Foundation
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchModel

struct DNSCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-check",
        abstract: "Check the TXT records of SSO connectors on their domains' nameservers now.",
        discussion: """
            Lists the connectors with one API request per account (no daemon or state file needed), then asks \
            each domain's authoritative nameservers for its TXT record. Without arguments it checks every \
            awaiting, pending or failed connector. Exit status: 0 every record present; 1 a record missing, \
            mistyped or not yet on every nameserver; 69 some checks inconclusive, or an account could not be \
            read; 64 an argument that matches no connector.
            """)

    @OptionGroup var config: ConfigOption
    @Option(name: .long, help: "Only this account (by NAME).") var account: String?
    @Flag(name: .long, help: "Print JSON.") var json = false
    @Argument(help: "Email domains or connector ids to check (default: every awaiting, pending or failed one).")
    var targets: [String] = []

    func run() async throws {
        let configuration = try config.load()
        if let account, configuration.account(named: account) == nil {
            let names = configuration.accounts.map(\.name).joined(separator: ", ")
            throw usageError(
                "no account named \(ConfigBuilder.printable(account)) in \(configuration.path) (accounts: \(names))")
        }
        let transport = try await AsyncHTTPTransport.forCommand(configuration)
        let outcome = await DNSCheckRun.run(
            configuration: configuration, accountName: account, targets: targets, transport: transport,
            checker: RecordChecker(config: configuration.daemon.dns))
        await transport.shutdown()
        if json {
            print(DNSCheckRun.json(outcome))
        } else {
            for line in DNSCheckRun.lines(outcome) { print(line) }
            if outcome.checked.isEmpty && outcome.unmatched.isEmpty {
                print("no awaiting, pending or failed connector to check")
            }
        }
        for failure in outcome.failedAccounts {
            printError("ssowatch: \(failure.account): \(failure.error)")
        }
        for target in outcome.unmatched {
            printError("ssowatch: \(ConfigBuilder.printable(target)) matches no connector's email domain or id")
        }
        let status = outcome.exitStatus
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}
