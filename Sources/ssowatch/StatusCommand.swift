import ArgumentParser
import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show what the state file knows: accounts, connectors, webhooks, outbox.")

    @OptionGroup var config: ConfigOption
    @Option(name: .customLong("state-file"), help: "Read this state file instead of the configuration's.")
    var stateFile: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func validate() throws {
        if stateFile != nil && config.config != nil {
            throw ValidationError("give either --config or --state-file, not both")
        }
    }

    func run() throws {
        let configuration: Configuration? = stateFile == nil ? try config.load() : nil
        let path = stateFile ?? configuration?.daemon.stateFile ?? ""
        let document: StateDocument?
        do {
            document = try StateFile.inspect(path: path)
        } catch {
            printError("ssowatch: \(error)")
            if case .newerVersion = error { throw ExitCode(ExitStatus.config) }
            throw ExitCode(ExitStatus.failure)
        }
        let now = Date()
        // Without a state file there is nothing to report yet: empty lists (docs/COMMANDS.md).
        let shown = document.map { ($0, configuration) } ?? (StateDocument(), nil)
        if json {
            let health = JournaledStateFile.health(ofStateFile: path)
            print(StatusReport.json(state: shown.0, configuration: shown.1, now: now, health: health))
        } else {
            if document == nil { print("No state file at \(path) yet: the daemon has not run.") }
            print(StatusReport.text(state: shown.0, configuration: shown.1, now: now), terminator: "")
        }
    }
}
