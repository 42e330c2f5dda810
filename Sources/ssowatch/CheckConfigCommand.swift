import ArgumentParser
import Logging
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchPostgres

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print a summary (exit 0, or 78 with PATH:LINE: message)."
    )

    @OptionGroup var config: ConfigOption

    func run() throws {
        let configuration = try config.load()
        print(ConfigSummary.render(configuration), terminator: "")
        if let url = configuration.daemon.haPostgres { try checkDatabase(url) }
    }

    /// With `ha_postgres_url`: the database answers (else exit 69) and its schema fits (else 78); docs/HA.md.
    private func checkDatabase(_ url: PostgresURL) throws {
        do {
            let version = try PostgresPairStatus.check(url, logger: Logger(label: "ssowatch"))
            let schema =
                version.map { "schema version \($0)" }
                ?? "no ssowatch tables yet (the first `ssowatch run` creates them)"
            print("Database: PostgreSQL \(url.display) reachable; \(schema)")
        } catch {
            printError("ssowatch: \(error)")
            if case .newerSchema = error { throw ExitCode(ExitStatus.config) }
            throw ExitCode(ExitStatus.unavailable)
        }
    }
}
