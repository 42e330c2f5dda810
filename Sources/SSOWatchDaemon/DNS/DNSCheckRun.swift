import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify

/// `ssowatch dns-check`: one live poll per account, then a DNS check of the chosen connectors' TXT
/// records now, one line (or one JSON object) each (docs/COMMANDS.md).
public enum DNSCheckRun {
    /// One connector checked.
    public struct Checked: Sendable {
        public var account: AccountConfig
        public var connector: Connector
        public var check: DNSRecordCheck
    }

    /// What the command prints and how it exits.
    public struct Outcome: Sendable {
        public var checked: [Checked]
        /// Accounts whose connectors could not be listed, with Cloudflare's error.
        public var failedAccounts: [(account: String, error: String)]
        /// Arguments that matched no connector.
        public var unmatched: [String]

        /// 64 for an argument that matched nothing; 1 when a record is missing, mistyped or partial; 69
        /// when the rest are present but some checks were inconclusive or an account could not be read;
        /// 0 when every checked record is present.
        public var exitStatus: Int32 {
            if !unmatched.isEmpty { return ExitStatus.usage }
            let results = checked.map(\.check.result)
            if results.contains(where: { [.missing, .nearMiss, .partial].contains($0) }) { return ExitStatus.failure }
            if results.contains(.inconclusive) || !failedAccounts.isEmpty { return ExitStatus.unavailable }
            return ExitStatus.success
        }
    }

    /// How many DNS checks run at once.
    static let concurrency = 8

    /// Lists the connectors of `accountName` (default: every enabled account) and checks those that
    /// `targets` name (a domain or a connector id), or when there are none, every awaiting, pending or
    /// failed connector with a verification code.
    public static func run(
        configuration: Configuration, accountName: String?, targets: [String], transport: any HTTPTransport,
        checker: RecordChecker, now: @escaping @Sendable () -> Date = { Date() }
    ) async -> Outcome {
        var polled = configuration
        if let accountName {
            polled.accounts = configuration.accounts.filter { $0.name == accountName }.map {
                var account = $0
                account.enabled = true
                return account
            }
        }
        let results = await PollOnce.run(configuration: polled, transport: transport)
        var candidates: [(AccountConfig, Connector)] = []
        var failed: [(account: String, error: String)] = []
        for result in results {
            switch result.outcome {
            case .success(let list): candidates += list.connectors.map { (result.account, $0) }
            case .failure(let error): failed.append((result.account.name, error.description))
            }
        }
        let wanted = targets.map { $0.lowercased() }
        let chosen: [(AccountConfig, Connector)]
        var unmatched: [String] = []
        if wanted.isEmpty {
            chosen = candidates.filter { _, connector in
                guard connector.verificationCode != nil, let status = connector.rawStatus else { return false }
                return ["awaiting", "pending", "failed"].contains(status)
            }
        } else {
            chosen = candidates.filter { _, connector in
                wanted.contains(connector.id?.lowercased() ?? "")
                    || wanted.contains(connector.emailDomain?.lowercased() ?? "")
            }
            unmatched = zip(targets, wanted).filter { _, key in
                !candidates.contains { $0.1.id?.lowercased() == key || $0.1.emailDomain?.lowercased() == key }
            }.map(\.0)
        }
        let checks = await checkAll(chosen, checker: checker, now: now)
        return Outcome(
            checked: zip(chosen, checks).map { Checked(account: $0.0, connector: $0.1, check: $1) },
            failedAccounts: failed, unmatched: unmatched)
    }

    /// Checks every connector, `concurrency` at a time; results in the order given.
    static func checkAll(
        _ chosen: [(AccountConfig, Connector)], checker: RecordChecker, now: @escaping @Sendable () -> Date
    ) async -> [DNSRecordCheck] {
        await concurrentMap(chosen.map(\.1), limit: concurrency) { connector in
            guard let domain = connector.emailDomain, let code = connector.verificationCode else {
                let reason = "not checked: Cloudflare gave no email domain or verification code"
                return RecordChecker.inconclusive(reason, at: now())
            }
            return await checker.check(domain: domain, code: code, now: now)
        }
    }

    /// `example.com  pending  missing  not found on ns1.example.net, …` — one line per connector.
    public static func lines(_ outcome: Outcome) -> [String] {
        outcome.checked.map { item in
            let domain = ConfigBuilder.printable(item.connector.emailDomain ?? item.connector.id ?? "?")
            let status = ConfigBuilder.printable(item.connector.rawStatus ?? "unknown")
            return
                "\(domain) (\(ConfigBuilder.printable(item.account.name)), \(status)): \(item.check.result.rawValue): "
                + ConfigBuilder.printable(item.check.detail)
        }
    }

    /// `{"checked": [{account, connector, domain, status, dns}], "errors": [{account, error}]}`.
    public static func json(_ outcome: Outcome) -> String {
        let checked = outcome.checked.map { item in
            JSONValue.obj([
                "account": .string(item.account.name),
                "connector": .optional(item.connector.id),
                "domain": .optional(item.connector.emailDomain),
                "status": .optional(item.connector.rawStatus),
                "dns": item.check.json,
            ])
        }
        let errors = outcome.failedAccounts.map {
            JSONValue.obj(["account": .string($0.account), "error": .string($0.error)])
        }
        return JSONValue.obj(["checked": .array(checked), "errors": .array(errors)]).text
    }
}
