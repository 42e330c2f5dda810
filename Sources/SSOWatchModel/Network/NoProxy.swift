import Foundation

/// The hosts that `NO_PROXY` sends direct (docs/CONFIGURATION.md, "Proxies and private CAs"): a
/// comma-separated list of host names (which also match their subdomains, with or without a leading
/// `.`), IP addresses, IPv4/IPv6 CIDR blocks, each optionally with `:PORT`, or `*` for every host.
/// Compared without regard to case and to a trailing dot.
public struct NoProxy: Sendable, Hashable {
    /// One entry of the list.
    public enum Entry: Sendable, Hashable {
        case everything
        case domain(String, port: Int?)
        case address([UInt8], prefix: Int, port: Int?)
    }

    public var entries: [Entry]

    /// An empty list: every host goes through the proxy.
    public init() { entries = [] }

    /// Parses a `NO_PROXY` value. Entries that are neither a name, an address nor a block are ignored,
    /// as other tools do.
    public init(parsing text: String) {
        entries = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).compactMap {
            Self.entry(String($0))
        }
    }

    /// Whether a request to `host` (a name or an IP address, IPv6 with or without brackets) on `port` goes
    /// direct.
    public func bypasses(host: String, port: Int) -> Bool {
        let name = Self.normalized(host)
        let address = Self.addressBytes(name)
        return entries.contains { entry in
            switch entry {
            case .everything:
                return true
            case .domain(let domain, let entryPort):
                guard entryPort == nil || entryPort == port else { return false }
                return name == domain || name.hasSuffix("." + domain)
            case .address(let bytes, let prefix, let entryPort):
                guard entryPort == nil || entryPort == port, let address, address.count == bytes.count else {
                    return false
                }
                return Self.samePrefix(address, bytes, bits: prefix)
            }
        }
    }

    static func entry(_ raw: String) -> Entry? {
        var text = raw.lowercased()
        if text == "*" { return .everything }
        var port: Int?
        // `[::1]:8080`, `10.0.0.1:8080`, `host:8080`; a bare IPv6 address has several colons and no port.
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let number = Int(rest.dropFirst()) else { return nil }
                port = number
            } else if !rest.isEmpty {
                return nil
            }
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard let number = Int(text[text.index(after: colon)...]) else { return nil }
            port = number
            text = String(text[..<colon])
        }
        if let slash = text.firstIndex(of: "/") {
            guard let bytes = addressBytes(String(text[..<slash])), let bits = Int(text[text.index(after: slash)...]),
                (0...bytes.count * 8).contains(bits)
            else { return nil }
            return .address(bytes, prefix: bits, port: port)
        }
        if let bytes = addressBytes(text) { return .address(bytes, prefix: bytes.count * 8, port: port) }
        if text.hasPrefix("*.") { text.removeFirst(2) }
        while text.hasPrefix(".") { text.removeFirst() }
        text = normalized(text)
        guard !text.isEmpty else { return nil }
        return .domain(text, port: port)
    }

    static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        while host.hasSuffix(".") { host.removeLast() }
        return host
    }

    /// The bytes of an IPv4 or IPv6 address in text, or `nil` for anything else.
    static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func samePrefix(_ a: [UInt8], _ b: [UInt8], bits: Int) -> Bool {
        for index in 0..<a.count {
            let remaining = bits - index * 8
            if remaining <= 0 { return true }
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a[index] & mask != b[index] & mask { return false }
        }
        return true
    }
}
