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

struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Poll every enabled account once and print its connectors (the state file is not touched).")

    @OptionGroup var config: ConfigOption
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let configuration = try config.load()
        let transport = try await AsyncHTTPTransport.forCommand(configuration)
        let results = await PollOnce.run(configuration: configuration, transport: transport)
        await transport.shutdown()
        if json {
            print(PollOnce.json(results))
        } else {
            for result in results {
                print("== \(result.account.name) (\(result.account.accountID))")
                switch result.outcome {
                case .success(let list):
                    print(ConnectorTable.render(list.connectors))
                case .failure(let error):
                    print("poll failed: \(error)")
                }
                print("")
            }
        }
        for result in results {
            if case .success(let list) = result.outcome {
                for warning in list.warnings { printError("ssowatch: warning: \(result.account.name): \(warning)") }
            }
            if case .failure(let error) = result.outcome {
                printError("ssowatch: \(result.account.name): \(error)")
            }
        }
        if results.contains(where: { if case .failure = $0.outcome { true } else { false } }) {
            throw ExitCode(ExitStatus.unavailable)
        }
    }
}
