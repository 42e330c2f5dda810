import ArgumentParser
import Foundation
import Logging
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the daemon (what the systemd unit starts).")

    @OptionGroup var config: ConfigOption

    func run() async throws {
        bootstrapLogging()
        MemoryTuning.returnFreedMemoryPromptly()
        let path = config.path
        let transport = AsyncHTTPTransport()
        let daemon: Daemon
        do {
            daemon = try Daemon(
                dependencies: DaemonDependencies(
                    transport: transport, logger: Logger(label: "ssowatch"),
                    loadConfiguration: { try ConfigLoader().load(path: path) }))
        } catch {
            printError("ssowatch: \(error)")
            await transport.shutdown()
            throw ExitCode(error.exitStatus)
        }
        await daemon.run()
        await transport.shutdown()
    }
}
