import Foundation

/// Resolving `X`, `X_file`, `X_env` and `X_credential` into a ``Secret``. Messages name the key,
/// the file or the variable, never the value.
extension ConfigBuilder {
    /// Resolves one secret key (any of the four forms of `base`).
    ///
    /// - Parameter previous: the entry that already gave this secret, if any: a second source is an error.
    mutating func secret(_ entry: INIEntry, base: String, previous: INIEntry?) throws(ConfigError) -> Secret {
        if let previous {
            throw error(
                entry.line,
                "`\(entry.key)` and `\(previous.key)` (line \(previous.line)) both give "
                    + "\(base); keep only one of \(ConfigSchema.secretKeys(base).joined(separator: ", "))")
        }
        let value: String
        let source: String
        switch entry.key.dropFirst(base.count) {
        case "":
            value = entry.value
            source = "\(base) (inline, line \(entry.line))"
        case "_file":
            let file = resolvedPath(entry.value)
            value = try readSecretFile(file, entry: entry, describe: "\(entry.key) \(Self.printable(file))")
            source = "\(entry.key)=\(Self.printable(file))"
        case "_env":
            value = try environmentSecret(entry)
            source = "\(entry.key)=\(entry.value)"
        default:
            value = try credentialSecret(entry)
            source = "\(entry.key)=\(Self.printable(entry.value))"
        }
        guard !value.isEmpty else {
            throw error(entry.line, "`\(entry.key)` is empty")
        }
        return Secret(value, source: source)
    }

    /// Relative secret paths are taken relative to the configuration file's directory.
    func resolvedPath(_ file: String) -> String {
        guard !file.hasPrefix("/") else { return file }
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? file : directory + "/" + file
    }

    /// Reads a secret file, trims surrounding whitespace, and warns when other users can read it.
    mutating func readSecretFile(_ file: String, entry: INIEntry, describe: String) throws(ConfigError) -> String {
        guard !entry.value.isEmpty else {
            throw error(entry.line, "`\(entry.key)` is empty; give a file name")
        }
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.readFile(file)
        } catch {
            throw self.error(entry.line, "cannot read \(describe): \(error)")
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            throw error(entry.line, "\(describe) is not a text file")
        }
        let value = text.trimmed(.whitespacesAndNewlines)
        guard !value.isEmpty else {
            throw error(entry.line, "\(describe) is empty")
        }
        if let mode = fileSystem.permissions(file), mode & 0o004 != 0 {
            warn(
                entry.line,
                "\(describe) is readable by other users (mode \(String(mode, radix: 8))); "
                    + "run `chmod o-r \(file)`")
        }
        return value
    }

    /// The value of the variable named by an `X_env` key, trimmed.
    func environmentSecret(_ entry: INIEntry) throws(ConfigError) -> String {
        let name = entry.value
        guard let first = name.first, !first.isNumber,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else {
            throw error(entry.line, "`\(entry.key)` must name an environment variable (letters, digits and `_`)")
        }
        guard let value = environment[name] else {
            throw error(entry.line, "environment variable \(name) (from `\(entry.key)`) is not set")
        }
        let trimmed = value.trimmed(.whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw error(entry.line, "environment variable \(name) (from `\(entry.key)`) is empty")
        }
        return trimmed
    }

    /// The content of `$CREDENTIALS_DIRECTORY/NAME` for an `X_credential` key.
    mutating func credentialSecret(_ entry: INIEntry) throws(ConfigError) -> String {
        let name = entry.value
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw error(
                entry.line,
                "`\(entry.key)` must be a credential name as in LoadCredential=NAME:PATH "
                    + "(no `/`)")
        }
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
            throw error(
                entry.line,
                "`\(entry.key)` needs $CREDENTIALS_DIRECTORY, which systemd sets for LoadCredential=; it is not set "
                    + "(outside systemd, use `\(entry.key.dropLast("credential".count))file`)")
        }
        let file = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        return try readSecretFile(
            file, entry: entry, describe: "credential \(Self.printable(name)) (\(Self.printable(file)))")
    }

    /// How to refer to where a secret came from in a message about its content.
    static func origin(of entry: INIEntry, secret: Secret) -> String {
        entry.key.hasSuffix("_file") || entry.key.hasSuffix("_env") || entry.key.hasSuffix("_credential")
            ? "the value of `\(entry.key)` (\(secret.source))" : "`\(entry.key)`"
    }

    /// An API token must be one word: whitespace inside usually means a wrong file.
    func checkToken(_ token: Secret, entry: INIEntry) throws(ConfigError) {
        // Visible ASCII (every real token) needs no look at Unicode properties.
        let visibleASCII = token.value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        guard
            visibleASCII
                || !token.value.contains(where: {
                    $0.isWhitespace || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false)
                })
        else {
            throw error(
                entry.line,
                "\(Self.origin(of: entry, secret: token)) contains whitespace or control "
                    + "characters; an API token is a single word")
        }
    }

    /// A webhook URL must be an absolute http(s) URL; plain http to a non-loopback host is only warned about.
    mutating func checkWebhookURL(_ url: Secret, entry: INIEntry, webhook: String) throws(ConfigError) {
        guard let components = URLComponents(string: url.value), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw error(
                entry.line,
                "\(Self.origin(of: entry, secret: url)) is not an absolute http(s) URL "
                    + "(the value is a secret and is not shown)")
        }
        if scheme == "http", !Self.isLoopback(host) {
            warn(
                entry.line,
                "webhook \"\(webhook)\" uses plain http:// to \(host): its URL, a secret, travels "
                    + "unencrypted; prefer https://")
        }
    }

    /// A Standard Webhooks signing secret: `whsec_` followed by base64.
    func checkSigningSecret(_ secret: Secret, entry: INIEntry) throws(ConfigError) {
        let encoded = secret.value.dropFirst("whsec_".count)
        guard secret.value.hasPrefix("whsec_"), !encoded.isEmpty, Data(base64Encoded: String(encoded)) != nil else {
            throw error(
                entry.line,
                "\(Self.origin(of: entry, secret: secret)) is not a Standard Webhooks secret: "
                    + "`whsec_` followed by base64 (the value is not shown)")
        }
    }
}
