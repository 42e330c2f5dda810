import ArgumentParser
import SSOWatchCloudflare
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

@main
struct SSOWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssowatch",
        abstract: "Watches Cloudflare SSO connectors and tells your chat when a domain is verified or failed.",
        version: SSOWatchVersion.string,
        subcommands: [
            RunCommand.self, CheckConfigCommand.self, PollCommand.self, StatusCommand.self, TestNotifyCommand.self,
            DNSCheckCommand.self, ConnectorsCommand.self, DemoCommand.self, SimulateCommand.self,
        ]
    )
}
