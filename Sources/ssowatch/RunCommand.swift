import ArgumentParser
import Foundation
import Logging
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchPostgres
import SSOWatchState

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the daemon (what the systemd unit starts).")

    @OptionGroup var config: ConfigOption

    func run() async throws {
        bootstrapLogging()
        MemoryTuning.returnFreedMemoryPromptly()
        let path = config.path
        let transport = AsyncHTTPTransport()
        let logger = Logger(label: "ssowatch")
        let dependencies = DaemonDependencies(
            transport: transport, logger: logger,
            loadConfiguration: {
                // Proxies and CAs apply at start and at every reload (docs/CONFIGURATION.md,
                // "Reloading"); a CA file that cannot be used fails the load like any other error.
                let configuration = try ConfigLoader().load(path: path)
                do {
                    try transport.apply(configuration.daemon.network)
                } catch {
                    // ca_file passed the loader's PEM check but the TLS library refused it.
                    throw ConfigError(path: configuration.path, line: 1, message: "\(error)")
                }
                return configuration
            },
            // With ha_postgres_url the pair's database holds the state (docs/HA.md); read at start only.
            makeStateStore: { configuration in
                if let url = configuration.daemon.haPostgres {
                    return PostgresStateStore(url: url, logger: logger)
                }
                return JournaledStateFile(path: configuration.daemon.stateFile)
            },
            makeLeadership: { configuration, store in
                guard let url = configuration.daemon.haPostgres, let store = store as? PostgresStateStore
                else { return nil }
                return PostgresLeadership(url: url, store: store, logger: logger)
            })
        // Loading may wait for the pair's database (a bounded, blocking step): on a thread of its own, never one
        // of the cooperative pool that runs that wait's own work.
        let created = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Daemon, DaemonStartError>, Never>) in
            Thread {
                do throws(DaemonStartError) {
                    continuation.resume(returning: .success(try Daemon(dependencies: dependencies)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }.start()
        }
        let daemon: Daemon
        switch created {
        case .success(let made): daemon = made
        case .failure(let error):
            printError("ssowatch: \(error)")
            await transport.shutdown()
            throw ExitCode(error.exitStatus)
        }
        await daemon.run()
        await transport.shutdown()
    }
}
