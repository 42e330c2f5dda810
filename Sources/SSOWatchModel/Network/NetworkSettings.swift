/// How ssowatch reaches HTTP servers: proxies and extra trusted CAs (docs/CONFIGURATION.md, "Proxies and
/// private CAs").
public struct NetworkSettings: Sendable, Hashable, CustomStringConvertible {
    public var proxy: ProxySettings
    /// `[daemon] ca_file`: where the extra CA certificates were read from.
    public var caFile: String?
    /// The PEM text of `caFile`, read when the configuration was loaded; trusted besides the system's CAs.
    public var caPEM: [UInt8]?

    public init(proxy: ProxySettings = ProxySettings(), caFile: String? = nil, caPEM: [UInt8]? = nil) {
        self.proxy = proxy
        self.caFile = caFile
        self.caPEM = caPEM
    }

    public var description: String {
        "proxy: \(proxy)" + (caFile.map { ", extra CAs from \($0)" } ?? "")
    }
}
