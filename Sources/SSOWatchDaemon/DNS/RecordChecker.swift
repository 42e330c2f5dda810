import Foundation
import Logging
import NIOCore
import NIOPosix
import SSOWatchConfig
import SSOWatchDNS
import SSOWatchModel

/// Checks one connector's TXT record on its domain's nameservers with the `dns_*` settings
/// (docs/DNS.md): the one place where the configuration meets the DNS client, for the daemon and
/// `ssowatch dns-check` alike.
public struct RecordChecker: Sendable {
    let config: DNSCheckConfig
    let client: DNSClient
    /// Where `dns_resolvers = system` reads its nameservers.
    let resolvConfPath: String

    /// A checker with the `dns_*` settings; DNS exchanges run on `eventLoopGroup`.
    public init(
        config: DNSCheckConfig, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        resolvConfPath: String = ResolvConf.path, logger: Logger = Logger(label: "ssowatch.dns")
    ) {
        self.config = config
        self.client = DNSClient(
            eventLoopGroup: eventLoopGroup, timeout: .milliseconds(Int64(config.timeout * 1000)), logger: logger)
        self.resolvConfPath = resolvConfPath
    }

    /// The resolvers to use now: `dns_resolvers`, or the nameservers of `/etc/resolv.conf` (read at each
    /// check, so a change there needs no restart).
    /// - Returns: the resolvers, or why there are none.
    func resolvers() -> (servers: [DNSServerAddress], problem: String?) {
        switch config.resolvers {
        case .servers(let servers): return (servers, nil)
        case .system:
            switch FileContents.read(path: resolvConfPath, limit: 1 << 20) {
            case .failure(.system(let code)):
                return ([], "cannot read \(resolvConfPath): \(String(cString: strerror(code)))")
            case .failure(let failure):
                return ([], "cannot read \(resolvConfPath): \(failure)")
            case .success(let bytes):
                let servers = ResolvConf.nameservers(in: String(decoding: bytes, as: UTF8.self))
                return (servers, servers.isEmpty ? "no nameserver in \(resolvConfPath)" : nil)
            }
        }
    }

    /// Looks up `domain`'s TXT records and says whether `code` (the whole `verification.code`) is there.
    public func check(domain: String, code: String, now: @Sendable () -> Date = { Date() }) async -> DNSRecordCheck {
        let name: DNSName
        do {
            name = try DNSName(domain)
        } catch {
            return Self.inconclusive("\(domain) is not a domain name DNS can look up (\(error))", at: now())
        }
        let (servers, problem) = resolvers()
        if let problem { return Self.inconclusive(problem, at: now()) }
        let mode: DNSQueryMode = config.query == .resolvers ? .resolvers : .authoritative
        let lookup = DNSTXTLookup(client: client, resolvers: servers, nameserverPort: config.port, mode: mode)
        let report = await lookup.lookup(name)
        return DNSDiagnosis.diagnose(expected: code, report: report, checked: now()).record
    }

    static func inconclusive(_ reason: String, at date: Date) -> DNSRecordCheck {
        DNSRecordCheck(result: .inconclusive, detail: reason, nameservers: [], agreeing: 0, checked: date)
    }
}
