import ArgumentParser
import Foundation
import Logging
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchModel
import SSOWatchSimulator
import SSOWatchState

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show ssowatch working against a simulated Cloudflare API and a local webhook receiver.")

    @Option(name: .long, help: "Seconds between polls.") var interval = 2
    @Flag(name: .long, help: "Keep running after the scripted changes (Ctrl-C stops).") var keepRunning = false

    func validate() throws {
        guard (1...60).contains(interval) else { throw ValidationError("--interval must be 1 to 60 seconds") }
    }

    func run() async throws {
        bootstrapLogging()
        var demo = Demo()
        demo.pollInterval = interval
        demo.keepRunning = keepRunning
        let complete = try await demo.run(logger: Logger(label: "ssowatch")) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        if !complete { throw ExitCode(ExitStatus.failure) }
    }
}
