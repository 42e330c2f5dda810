import Foundation
import SSOWatchModel

/// `proxy*`, `ca_file` and the proxy variables of the environment (docs/CONFIGURATION.md, "Proxies and
/// private CAs"). Messages never show a proxy URL: it may carry a password.
extension ConfigBuilder {
    /// One of the four `proxy*` keys: a secret that must be an `http://` proxy URL.
    mutating func proxyServer(_ entry: INIEntry, previous: INIEntry?) throws(ConfigError) -> ProxyServer {
        let secret = try secret(entry, base: "proxy", previous: previous)
        do {
            return try ProxyServer(parsing: secret.value)
        } catch {
            throw self.error(
                entry.line,
                "\(Self.origin(of: entry, secret: secret)) is not a proxy URL: \(error) (the value is a secret "
                    + "and is not shown)")
        }
    }

    /// The proxies for every request: `override` (`[daemon] proxy`) or the variables, reported at `line`.
    func proxySettings(override: ProxyServer?, line: Int) throws(ConfigError) -> ProxySettings {
        do {
            return try ProxySettings.resolve(environment: environment, override: override)
        } catch {
            throw self.error(line, "\(error); fix or unset it, or set `proxy` in [daemon]")
        }
    }

    /// `ca_file`: an absolute or config-relative path to PEM certificates, read now so that a problem is a
    /// configuration error with this key's line.
    mutating func caFile(_ entry: INIEntry) throws(ConfigError) -> (path: String, pem: [UInt8]) {
        guard !entry.value.isEmpty else { throw error(entry.line, "`ca_file` is empty; give a PEM file name") }
        let file = resolvedPath(entry.value)
        let shown = "ca_file \(Self.printable(file))"
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.readFile(file)
        } catch {
            throw self.error(entry.line, "cannot read \(shown): \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw error(entry.line, "\(shown) is not a PEM file (not text)")
        }
        if let problem = Self.pemProblem(text) {
            throw error(entry.line, "\(shown) \(problem)")
        }
        return (file, bytes)
    }

    /// What is wrong with a PEM bundle of CA certificates, or `nil`: at least one `CERTIFICATE` block, each
    /// closed and holding base64 DER; no other kind of block (a private key has no place there).
    static func pemProblem(_ text: String) -> String? {
        var count = 0
        var open: (label: String, line: Int, body: String)?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            let number = index + 1
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                let label = String(line.dropFirst("-----BEGIN ".count).dropLast(5))
                if let open { return "line \(number): BEGIN inside the \(open.label) block of line \(open.line)" }
                guard label == "CERTIFICATE" else {
                    return "line \(number): a \(label) block; ca_file holds CERTIFICATE blocks only"
                }
                open = (label, number, "")
            } else if line.hasPrefix("-----END "), line.hasSuffix("-----") {
                guard let block = open else { return "line \(number): END without BEGIN" }
                guard let der = Data(base64Encoded: block.body), der.first == 0x30 else {
                    return "line \(block.line): the CERTIFICATE block is not valid base64 DER"
                }
                count += 1
                open = nil
            } else if open != nil {
                open!.body += line
            }
        }
        if let open { return "line \(open.line): the \(open.label) block has no END line" }
        return count == 0 ? "holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)" : nil
    }

    /// One of the four `ha_postgres_url*` keys: a secret that must be a `postgresql://` URL (docs/HA.md).
    mutating func postgresURL(_ entry: INIEntry, previous: INIEntry?) throws(ConfigError) -> PostgresURL {
        let secret = try secret(entry, base: "ha_postgres_url", previous: previous)
        switch PostgresURL.parse(secret.value) {
        case .success(let url): return url
        case .failure(let problem):
            throw error(
                entry.line,
                "\(Self.origin(of: entry, secret: secret)) is not a PostgreSQL URL: \(problem) (the value is a "
                    + "secret and is not shown; expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
        }
    }
}
