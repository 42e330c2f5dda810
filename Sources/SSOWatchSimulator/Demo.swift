import Dispatch
import Foundation
import Logging
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
import Synchronization

/// `ssowatch demo`: the simulated Cloudflare API, a local webhook receiver and the real daemon
/// engine, all on 127.0.0.1, with a scripted timeline of status changes (docs/COMMANDS.md (demo)).
public struct Demo: Sendable {
    /// Seconds between polls of each account.
    public var pollInterval: Int = 2
    /// Keep running after the timeline is done (until Ctrl-C).
    public var keepRunning = false
    /// Give up waiting for the notifications after this long.
    public var deadline: Duration = .seconds(60)

    /// Creates a demo with the defaults.
    public init() {}

    /// What the timeline does: (seconds after start, account, domain, new status).
    static let timeline: [(Double, String, String, String)] = [
        (4, "acme-prod", "example.com", "verified"),
        (7, "acme-prod", "shop.example.com", "failed"),
        (10, "acme-labs", "labs.example.net", "pending"),
        (18, "acme-prod", "sso.example.com", "verified"),
    ]

    /// When the missing TXT record of sso.example.com is published on its nameservers.
    static let publishRecordAfter: Double = 12

    /// The notifications the generic webhook must get for the demo to be complete: (type, domain).
    static let expected: Set<String> = [
        "connector.verified example.com", "connector.failed shop.example.com",
        "connector.dns_missing sso.example.com", "connector.dns_found sso.example.com",
        "connector.verified sso.example.com",
    ]

    /// Runs the demo; returns `true` when every scripted change was announced.
    public func run(logger: Logger, output: @escaping @Sendable (String) -> Void) async throws -> Bool {
        let started = Date()
        let say: @Sendable (String) -> Void = { line in
            output(String(format: "[+%5.1fs] ", Date().timeIntervalSince(started)) + line)
        }
        let simulator = CloudflareSimulator()
        let receiver = WebhookReceiver()
        try await simulator.start()
        try await receiver.start()
        // The domains' own nameservers, on 127.0.0.2 and 127.0.0.3: the daemon checks TXT records there.
        let dns = try await DNSSimulator.start()
        for zone in ["example.com", "example.net"] {
            dns.addZone(zone, nameservers: ["ns1.\(zone)": "127.0.0.2", "ns2.\(zone)": "127.0.0.3"])
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ssowatch-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let accounts = [
            ("acme-prod", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "demo-token-prod"),
            ("acme-labs", "f9e8d7c6b5a4938271605f4e3d2c1b0a", "demo-token-labs"),
        ]
        var connectorIDs: [String: (account: String, id: String)] = [:]
        for (name, id, token) in accounts { simulator.addAccount(id: id, token: token); _ = name }
        for (account, domain, status) in [
            ("acme-prod", "example.com", "pending"), ("acme-prod", "shop.example.com", "pending"),
            ("acme-prod", "corp.example.com", "verified"), ("acme-labs", "labs.example.net", "awaiting"),
            ("acme-prod", "sso.example.com", "pending"),
        ] {
            let accountID = accounts.first { $0.0 == account }!.1
            let id = simulator.addConnector(accountID: accountID, domain: domain, status: status)
            connectorIDs[domain] = (accountID, id)
            // Every record is published, except sso.example.com's: the demo publishes it later.
            if domain != "sso.example.com" { dns.setTXT(domain, ["cloudflare_dashboard_sso=\(id)"]) }
        }
        let configPath = directory.appendingPathComponent("ssowatch.ini").path
        try Self.configuration(
            simulator: simulator, receiver: receiver, dnsPort: dns.port, accounts: accounts,
            directory: directory.path, interval: pollInterval
        ).write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)

        output("ssowatch demo: everything below runs on this machine (127.0.0.1); no Cloudflare account needed.")
        output("  simulated Cloudflare API  \(simulator.baseURL)")
        output("  webhook receiver          http://127.0.0.1:\(receiver.port)  (a Slack-style and a generic webhook)")
        output("  nameservers               127.0.0.2 and 127.0.0.3, port \(dns.port) (example.com, example.net)")
        output(
            "  accounts                  acme-prod (4 connectors), acme-labs (1 connector), polled every \(pollInterval)s"
        )
        output("  sso.example.com is pending but its TXT record is not published yet: watch for dns_missing.")
        output("  configuration             \(configPath)")
        output("")

        let announced = Announced()
        receiver.onRequest = { request in
            for line in Self.describe(request) { say(line) }
            if request.path.hasPrefix("/generic"), let object = request.jsonObject {
                let type = object["type"] as? String ?? "?"
                let data = object["data"] as? [String: Any]
                let domain = (data?["connector"] as? [String: Any])?["email_domain"] as? String ?? "?"
                announced.insert("\(type) \(domain)")
            }
        }
        if let sso = connectorIDs["sso.example.com"] {
            let record = "cloudflare_dashboard_sso=\(sso.id)"
            Task {
                try? await Task.sleep(for: .milliseconds(Int(Self.publishRecordAfter * 1000)))
                dns.setTXT("sso.example.com", [record])
                say("DNS (simulated): published TXT sso.example.com \"\(record)\" on ns1 and ns2")
            }
        }
        for (seconds, account, domain, status) in Self.timeline {
            guard let target = connectorIDs[domain] else { continue }
            let before = simulator.connector(accountID: target.account, id: target.id)?.status ?? "unknown"
            simulator.scheduleStatusChange(
                accountID: target.account, connectorID: target.id, to: status, after: .milliseconds(Int(seconds * 1000))
            ) { _ in say("Cloudflare (simulated): \(domain) in \(account) went \(before) → \(status)") }
        }

        let transport = AsyncHTTPTransport()
        let daemon: Daemon
        do {
            daemon = try Daemon(
                dependencies: DaemonDependencies(
                    transport: transport, notifier: DemoNotifier(say: say), logger: logger,
                    loadConfiguration: { try ConfigLoader().load(path: configPath) }, handleSignals: false))
        } catch {
            await transport.shutdown()
            try? await simulator.stop()
            try? await receiver.stop()
            await dns.shutdown()
            throw error
        }
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .main)
        signal(SIGINT, SIG_IGN)
        interrupt.setEventHandler { daemon.stop() }
        interrupt.resume()
        let running = Task { await daemon.run() }

        var complete = false
        let until = ContinuousClock.now + deadline
        while ContinuousClock.now < until {
            if announced.value.isSuperset(of: Self.expected) {
                complete = true
                break
            }
            if running.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        if complete && keepRunning {
            say("All changes announced. Still running; press Ctrl-C to stop.")
            await running.value
        } else {
            daemon.stop()
            await running.value
        }
        interrupt.cancel()
        signal(SIGINT, SIG_DFL)
        await transport.shutdown()
        try? await simulator.stop()
        try? await receiver.stop()
        await dns.shutdown()
        output("")
        output(
            complete
                ? "Done: each change was announced once, as it happened. Try `make test`, then see README.md to install."
                : "The demo did not see every notification within \(deadline); see the log lines above.")
        return complete
    }

    static func configuration(
        simulator: CloudflareSimulator, receiver: WebhookReceiver, dnsPort: Int, accounts: [(String, String, String)],
        directory: String, interval: Int
    ) throws -> String {
        var ini = """
            [daemon]
            state_file = \(directory)/state.json
            api_base_url = \(simulator.baseURL)
            poll_interval = \(interval)s
            jitter = 0
            log_level = notice
            # The demo's domains exist only in the simulated DNS: the zones and their nameservers are found
            # through its resolver view on 127.0.0.1, never through the host's resolvers.
            dns_resolvers = 127.0.0.1:\(dnsPort)
            dns_port = \(dnsPort)
            dns_check_interval = \(interval)s
            dns_timeout = 1s

            [webhook "team-slack"]
            type = slack
            url = \(receiver.url(path: "/slack/T0DEMO/B0DEMO/demo"))
            events = all

            [webhook "audit"]
            type = generic
            url = \(receiver.url(path: "/generic/ssowatch"))
            events = verified, failed, dns_missing, dns_found
            secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

            """
        for (name, id, token) in accounts {
            let tokenFile = "\(directory)/\(name).token"
            try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            chmod(tokenFile, 0o600)
            ini += "\n[account \"\(name)\"]\naccount_id = \(id)\napi_token_file = \(tokenFile)\n"
        }
        return ini
    }

    /// What the receiver got, as lines for the terminal.
    static func describe(_ request: RecordedRequest) -> [String] {
        guard let object = request.jsonObject else { return ["webhook received \(request.body.count) bytes"] }
        if request.path.hasPrefix("/slack") {
            var lines = ["Slack webhook received: \(object["text"] as? String ?? "?")"]
            let blocks = object["blocks"] as? [[String: Any]] ?? []
            for block in blocks {
                if let text = (block["text"] as? [String: Any])?["text"] as? String, text.hasPrefix("*What to do:*") {
                    lines.append("    " + text.replacingOccurrences(of: "*", with: ""))
                }
            }
            return lines
        }
        let type = object["type"] as? String ?? "?"
        let data = object["data"] as? [String: Any]
        let domain = (data?["connector"] as? [String: Any])?["email_domain"] as? String ?? "?"
        let signed = request.header("webhook-signature") != nil ? ", signed" : ""
        return [
            "generic webhook received: \(type) \(domain) (webhook-id \(request.header("webhook-id") ?? "?")\(signed))"
        ]
    }
}

/// Prints what the daemon would tell systemd, so the demo shows `READY=1` and each new `STATUS=`.
final class DemoNotifier: ServiceNotifier {
    let say: @Sendable (String) -> Void
    private let lastStatus = Mutex("")

    init(say: @escaping @Sendable (String) -> Void) {
        self.say = say
    }

    func notify(_ state: String) {
        for line in state.split(separator: "\n").map(String.init) {
            if line == "READY=1" {
                say("systemd ← \(line)")
            } else if line.hasPrefix("STATUS="),
                lastStatus.withLock({ last in
                    defer { last = line }
                    return last != line
                })
            {
                say("systemd ← \(line)")
            }
        }
    }

    func watchdogTimeout() -> TimeInterval? { nil }
}

/// The notifications the generic webhook got, as `type domain`, shared with the receiver's callback.
final class Announced: Sendable {
    private let storage = Mutex(Set<String>())
    func insert(_ item: String) { _ = storage.withLock { $0.insert(item) } }
    var value: Set<String> { storage.withLock { $0 } }
}
