import ArgumentParser
import Foundation
import Logging
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchPostgres
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
        if let configuration, let url = configuration.daemon.haPostgres {
            try showPair(url, configuration: configuration)
            return
        }
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

    /// `status` of an active/passive pair: the shared state and the leader, from the database (docs/HA.md).
    private func showPair(_ url: PostgresURL, configuration: Configuration) throws {
        let read: (document: StateDocument?, leader: LeaderRecord?, lastSaved: Date?)
        do {
            read = try PostgresPairStatus.read(url, logger: Logger(label: "ssowatch"))
        } catch {
            printError("ssowatch: \(error)")
            if case .newerSchema = error { throw ExitCode(ExitStatus.config) }
            throw ExitCode(ExitStatus.unavailable)
        }
        let role: PairStatus.Role = read.leader?.host == PostgresPairStatus.thisHost ? .leader : .standby
        let pair = PairStatus(role: role, leader: read.leader, database: url.display)
        let document = read.document ?? StateDocument()
        if json {
            // Write failures are the leader's to log and show in STATUS=: the database that failed cannot hold them.
            let health = StateHealth(lastSaved: read.lastSaved, lastError: nil)
            print(
                StatusReport.json(
                    state: document, configuration: configuration, now: Date(), health: health, pair: pair))
        } else {
            if read.document == nil {
                print("No ssowatch tables in PostgreSQL \(url.display) yet: no instance has run.")
            }
            print(
                StatusReport.text(state: document, configuration: configuration, now: Date(), pair: pair),
                terminator: "")
        }
    }
}
