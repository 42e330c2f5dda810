import ArgumentParser
import Dispatch
import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState

/// `ssowatch simulate`: the simulated Cloudflare API and webhook receiver as a process of their own, for
/// the benchmark (`bench/run_bench.py`), which points both pollers at it. Hidden from `--help`.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Serve a simulated Cloudflare API and a webhook receiver on 127.0.0.1 (for the benchmark).",
        shouldDisplay: false)

    @Option(name: .long, help: "Accounts to seed.") var accounts = 1000
    @Option(name: .long, help: "Connectors per account.") var connectors = 10
    @Option(name: .customLong("accounts-per-token"), help: "Consecutive accounts sharing one token.")
    var accountsPerToken = 1
    @Option(name: .long, help: "Statuses given to the seeded connectors in turn (comma-separated).")
    var statuses = "pending"
    @Option(name: .long, help: "Port of the simulated API (0: any free port).") var port = 0
    @Option(name: .customLong("receiver-port"), help: "Port of the webhook receiver (0: any free port).")
    var receiverPort = 0
    @Option(name: .long, help: "Event-loop threads of the simulated API.") var threads = 2
    @Option(
        name: .customLong("info-file"),
        help: "Write the accounts (ids, tokens, connector ids) here instead of on the ready line.")
    var infoFile: String?
    @Option(name: .customLong("max-seconds"), help: "Stop by itself after this long, whatever happens.")
    var maxSeconds = 3600

    func validate() throws {
        guard (1...100_000).contains(accounts) else { throw ValidationError("--accounts must be 1 to 100000") }
        guard (0...20000).contains(connectors) else { throw ValidationError("--connectors must be 0 to 20000") }
        guard accountsPerToken >= 1 else { throw ValidationError("--accounts-per-token must be at least 1") }
        guard (0...65535).contains(port), (0...65535).contains(receiverPort) else {
            throw ValidationError("ports must be 0 to 65535")
        }
        guard (1...16).contains(threads) else { throw ValidationError("--threads must be 1 to 16") }
        guard maxSeconds >= 1 else { throw ValidationError("--max-seconds must be at least 1") }
    }

    func run() async throws {
        let simulator = CloudflareSimulator(threads: threads)
        let receiver = WebhookReceiver()
        let seeded = SimulatorScenario(
            accounts: accounts, connectorsPerAccount: connectors, accountsPerToken: accountsPerToken,
            statuses: statuses.split(separator: ",").map { String($0) }
        ).seed(simulator)
        SimulatorControl(simulator: simulator, receiver: receiver).install()
        try await simulator.start(port: port)
        try await receiver.start(port: receiverPort)

        var ready: [String: Any] = [
            "base_url": simulator.baseURL, "api_port": simulator.port,
            "receiver_url": receiver.url(path: "/hook"), "receiver_port": receiver.port,
            "control_url": "http://127.0.0.1:\(simulator.port)\(SimulatorControl.pathPrefix)",
            "pid": Int(getpid()),
        ]
        let accountList: [[String: Any]] = seeded.map {
            ["id": $0.id, "token": $0.token, "connectors": $0.connectorIDs]
        }
        if let infoFile {
            var info = ready
            info["accounts"] = accountList
            try JSONSerialization.data(withJSONObject: info).write(to: URL(fileURLWithPath: infoFile))
            ready["info_file"] = infoFile
        } else {
            ready["accounts"] = accountList
        }
        let line = try JSONSerialization.data(withJSONObject: ready, options: [.sortedKeys])
        FileHandle.standardOutput.write(line + Data("\n".utf8))

        await Self.waitForStop(maxSeconds: maxSeconds)
        try? await simulator.stop()
        try? await receiver.stop()
    }

    /// Returns on SIGTERM or SIGINT, or after `maxSeconds`, so a forgotten simulator cannot outlive a run.
    private static func waitForStop(maxSeconds: Int) async {
        let queue = DispatchQueue(label: "ssowatch.simulate")
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                var sources: [any DispatchSourceProtocol] = []
                var resumed = false
                let finish = {
                    guard !resumed else { return }
                    resumed = true
                    for source in sources { source.cancel() }
                    continuation.resume()
                }
                for signalNumber in [SIGTERM, SIGINT] {
                    signal(signalNumber, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                    source.setEventHandler(handler: finish)
                    source.resume()
                    sources.append(source)
                }
                let timer = DispatchSource.makeTimerSource(queue: queue)
                timer.schedule(deadline: .now() + .seconds(maxSeconds))
                timer.setEventHandler(handler: finish)
                timer.resume()
                sources.append(timer)
            }
        }
    }
}
