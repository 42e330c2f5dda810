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
/// the benchmarks (`bench/run_bench.py`, `bench/dns_bench.py`), which point ssowatch at it; with
/// `--dns-zone`, also the simulated DNS of the connectors' domains. Hidden from `--help`.
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
    @Option(
        name: .customLong("dns-zone"),
        help: ArgumentHelp(
            "Also serve DNS for this zone, which then holds the connectors' domains (aN-cM.ZONE).",
            discussion: "Nameservers ns1/ns2.ZONE on 127.0.0.2 and 127.0.0.3 and a resolver on 127.0.0.1, all on "
                + "one free port (dns_port on the ready line)."))
    var dnsZone: String?
    @Option(
        name: .customLong("rate-limit"),
        help: ArgumentHelp(
            "Enforce Cloudflare's token limit as N/SECONDS (default: 1200/300, not enforced).",
            discussion: "Requests beyond N in a fixed SECONDS-long window of a token get HTTP 429; the Ratelimit "
                + "headers count down from N. A benchmark with scaled time scales the window."))
    var rateLimit: String?
    @Option(
        name: .customLong("dns-present-every"),
        help: "With --dns-zone: publish the TXT record of every Nth connector, the others missing (1: all, 0: none).")
    var dnsPresentEvery: Int?

    func validate() throws {
        guard (1...100_000).contains(accounts) else { throw ValidationError("--accounts must be 1 to 100000") }
        guard (0...20000).contains(connectors) else { throw ValidationError("--connectors must be 0 to 20000") }
        guard accountsPerToken >= 1 else { throw ValidationError("--accounts-per-token must be at least 1") }
        guard (0...65535).contains(port), (0...65535).contains(receiverPort) else {
            throw ValidationError("ports must be 0 to 65535")
        }
        guard (1...16).contains(threads) else { throw ValidationError("--threads must be 1 to 16") }
        guard maxSeconds >= 1 else { throw ValidationError("--max-seconds must be at least 1") }
        if let rateLimit, Self.policy(rateLimit) == nil {
            throw ValidationError("--rate-limit must be N/SECONDS with N and SECONDS at least 1, e.g. 1200/300")
        }
        if let dnsZone {
            guard ScenarioZone(apex: dnsZone, presentEvery: dnsPresentEvery ?? 2) != nil else {
                throw ValidationError("--dns-zone must be a domain name and --dns-present-every at least 0")
            }
        } else if dnsPresentEvery != nil {
            throw ValidationError("--dns-present-every needs --dns-zone")
        }
    }

    func run() async throws {
        let simulator = CloudflareSimulator(threads: threads)
        if let policy = rateLimit.flatMap(Self.policy) { simulator.rateLimit = policy }
        let receiver = WebhookReceiver()
        let zone = dnsZone.flatMap { ScenarioZone(apex: $0, presentEvery: dnsPresentEvery ?? 2) }
        let seeded = SimulatorScenario(
            accounts: accounts, connectorsPerAccount: connectors, accountsPerToken: accountsPerToken,
            statuses: statuses.split(separator: ",").map { String($0) }, domainSuffix: zone?.apex ?? "example.com"
        ).seed(simulator)
        let dns = zone == nil ? nil : try await DNSSimulator.start()
        SimulatorControl(simulator: simulator, receiver: receiver, dns: dns).install()
        try await simulator.start(port: port)
        try await receiver.start(port: receiverPort)

        var ready: [String: Any] = [
            "base_url": simulator.baseURL, "api_port": simulator.port,
            "receiver_url": receiver.url(path: "/hook"), "receiver_port": receiver.port,
            "control_url": "http://127.0.0.1:\(simulator.port)\(SimulatorControl.pathPrefix)",
            "pid": Int(getpid()),
        ]
        if let zone, let dns {
            let present = zone.publish(seeded, of: simulator, on: dns)
            ready["dns_zone"] = zone.apex
            ready["dns_port"] = dns.port
            ready["dns_resolver"] = "\(dns.resolver)"
            ready["dns_nameservers"] = dns.nameserverAddresses
            ready["dns_present_every"] = zone.presentEvery
            ready["dns_records_present"] = present
            ready["dns_records_missing"] = accounts * connectors - present
        }
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
        await dns?.shutdown()
    }

    /// `N/SECONDS` as an enforced policy, `nil` when malformed.
    static func policy(_ text: String) -> RateLimitPolicy? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let quota = Int(parts[0]), let window = Int(parts[1]), quota >= 1, window >= 1 else {
            return nil
        }
        return RateLimitPolicy(quota: quota, windowSeconds: window, enforced: true)
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
