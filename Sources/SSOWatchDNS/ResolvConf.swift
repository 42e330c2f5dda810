/// The `nameserver` lines of `/etc/resolv.conf`, for `dns_resolvers = system`.
public enum ResolvConf {
    /// Where the system resolver's configuration lives.
    public static let path = "/etc/resolv.conf"
    /// How many nameservers the C library uses (MAXNS); later lines are ignored the same way.
    public static let maxNameservers = 3

    /// The nameservers listed in `text`, in order, on port `port`.
    ///
    /// Comments (`#` or `;` to the end of the line), other keywords, and addresses that do not parse are
    /// skipped, as the C library skips them. An IPv6 address with a zone (`fe80::1%eth0`) is skipped too:
    /// a link-local resolver cannot be asked without knowing its interface.
    public static func nameservers(in text: String, port: Int = 53) -> [DNSServerAddress] {
        var servers: [DNSServerAddress] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.prefix { $0 != "#" && $0 != ";" }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", !fields[1].contains("%"),
                let server = try? DNSServerAddress(host: String(fields[1]), port: port)
            else { continue }
            servers.append(server)
            if servers.count == maxNameservers { break }
        }
        return servers
    }
}
