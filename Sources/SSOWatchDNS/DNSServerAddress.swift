import NIOCore

/// A DNS server to ask: an IP address (v4 or v6, no host name) and a port.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The IP address as text (`192.0.2.1`, `2001:db8::1`).
    public let host: String
    /// The UDP and TCP port.
    public let port: Int
    /// The address for NIO, checked when the value was made.
    let socketAddress: SocketAddress

    /// Creates an address from an IP literal and a port.
    /// - Throws: `DNSServerAddressError` when `host` is not an IP address or the port is out of range.
    public init(host: String, port: Int = 53) throws(DNSServerAddressError) {
        guard (1...65535).contains(port) else { throw DNSServerAddressError(text: "\(host):\(port)") }
        guard let address = try? SocketAddress(ipAddress: host, port: port) else {
            throw DNSServerAddressError(text: host)
        }
        self.host = host
        self.port = port
        self.socketAddress = address
    }

    /// Creates an address from the raw bytes of an A (4 bytes) or AAAA (16 bytes) record.
    /// - Throws: `DNSServerAddressError` for another length or an invalid port.
    public init(packed bytes: [UInt8], port: Int) throws(DNSServerAddressError) {
        guard bytes.count == 4 || bytes.count == 16,
            let address = try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: port),
            let text = address.ipAddress
        else { throw DNSServerAddressError(text: bytes.map { String($0) }.joined(separator: ".")) }
        try self.init(host: text, port: port)
    }

    /// Parses `ADDR`, `ADDR:PORT`, `[ADDR]` or `[ADDR]:PORT` (IPv6 needs the brackets to carry a port), as
    /// `dns_resolvers` and `nameserver` lines write them.
    /// - Throws: `DNSServerAddressError` naming the text.
    public init(parsing text: String, defaultPort: Int = 53) throws(DNSServerAddressError) {
        var host = Substring(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw DNSServerAddressError(text: text) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else {
                    throw DNSServerAddressError(text: text)
                }
                port = value
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]) else { throw DNSServerAddressError(text: text) }
            port = value
            host = host[..<colon]
        }
        do {
            try self.init(host: String(host), port: port)
        } catch {
            throw DNSServerAddressError(text: text)
        }
    }

    /// Whether the address is IPv6.
    public var isIPv6: Bool { socketAddress.protocol == .inet6 }

    /// `ADDR:PORT`, with brackets around an IPv6 address.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func == (lhs: DNSServerAddress, rhs: DNSServerAddress) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(host)
        hasher.combine(port)
    }
}

/// Text that is not an IP address with an optional port.
public struct DNSServerAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text as given.
    public let text: String

    public var description: String {
        "\"\(text)\" is not a DNS server address: write an IP address, ADDR:PORT, or [IPv6]:PORT"
    }
}
