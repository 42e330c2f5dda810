import ArgumentParser
import SSOWatchConfig
import SSOWatchNotify

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print a summary (exit 0, or 78 with PATH:LINE: message)."
    )

    @OptionGroup var config: ConfigOption

    func run() throws {
        let configuration = try config.load()
        print(ConfigSummary.render(configuration), terminator: "")
    }
}
