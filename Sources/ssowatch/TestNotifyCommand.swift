import ArgumentParser
import Foundation
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState

struct TestNotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-notify", abstract: "Send a test message to each webhook (or one) and show the replies.")

    @OptionGroup var config: ConfigOption
    @Option(name: .long, help: "Only this [webhook \"NAME\"].") var webhook: String?

    func run() async throws {
        let configuration = try config.load()
        var targets = configuration.webhooks
        if let name = webhook {
            guard let one = configuration.webhook(named: name) else {
                let known = configuration.webhooks.map(\.name).joined(separator: ", ")
                throw usageError(
                    "no [webhook \"\(name)\"] in \(configuration.path) (webhooks: \(known.isEmpty ? "none" : known))")
            }
            targets = [one]
        }
        guard !targets.isEmpty else { throw usageError("no [webhook] sections in \(configuration.path)") }
        let transport = try await AsyncHTTPTransport.forCommand(configuration)
        var failed = false
        for target in targets {
            let result = await TestNotification.send(to: target, transport: transport)
            print(result.line)
            failed = failed || !result.delivered
        }
        await transport.shutdown()
        if failed { throw ExitCode(ExitStatus.unavailable) }
    }
}
