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
        // Each source gives its raw text, a name for messages and its own wording of "empty"; one check
        // (SecretText) then applies to all of them.
        let raw: String
        let source: String
        let describe: String
        let empty: String
        switch entry.key.dropFirst(base.count) {
        case "":
            raw = entry.value
            source = "\(base) (inline, line \(entry.line))"
            describe = entry.key
            empty = "`\(entry.key)` is empty"
        case "_file":
            let file = resolvedPath(entry.value)
            describe = "\(entry.key) \(Self.printable(file))"
            raw = try readSecretFile(file, entry: entry, describe: describe)
            source = "\(entry.key)=\(Self.printable(file))"
            empty = "\(describe) is empty"
        case "_env":
            raw = try environmentSecret(entry)
            source = "\(entry.key)=\(entry.value)"
            describe = "\(entry.key) \(entry.value)"
            empty = "environment variable \(entry.value) (from `\(entry.key)`) is empty"
        default:
            let (file, text) = try credentialSecret(entry)
            raw = text
            source = "\(entry.key)=\(Self.printable(entry.value))"
            describe = "\(entry.key) \(Self.printable(entry.value)) (\(Self.printable(file)))"
            empty = "credential \(Self.printable(entry.value)) (\(Self.printable(file))) is empty"
        }
        let value: String
        switch SecretText.validated(raw) {
        case .success(let text): value = text
        case .failure(let problem):
            throw error(entry.line, "\(describe): the \(Self.noun(base)) \(problem)\(Self.advice(problem, base: base))")
        }
        guard !value.isEmpty else {
            throw error(entry.line, empty)
        }
        return Secret(value, source: source)
    }

    /// What a message calls the secret of `base`.
    static func noun(_ base: String) -> String {
        switch base {
        case "api_token", "api_write_token": "token"
        case "url": "URL"
        case "proxy": "proxy URL"
        case "ha_postgres_url": "database URL"
        default: "signing secret"
        }
    }

    /// What to do about a character that has no place in a secret.
    static func advice(_ problem: SecretText.Problem, base: String) -> String {
        switch (problem.kind, base) {
        case (.whitespace, "url"), (.whitespace, "ha_postgres_url"): "; a URL holds no spaces (write %20)"
        case (.whitespace, _): "; a \(noun(base)) is a single word"
        default: "; remove it"
        }
    }

    /// Relative secret paths are taken relative to the configuration file's directory.
    func resolvedPath(_ file: String) -> String {
        guard !file.hasPrefix("/") else { return file }
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? file : directory + "/" + file
    }

    /// Reads a secret file as UTF-8 text (checked and trimmed by the caller) and warns when other users can
    /// read it.
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
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw error(entry.line, "\(describe) is not a text file (not UTF-8)")
        }
        if let mode = fileSystem.permissions(file), mode & 0o004 != 0 {
            warn(
                entry.line,
                "\(describe) is readable by other users (mode \(String(mode, radix: 8))); "
                    + "run `chmod o-r \(file)`")
        }
        return text
    }

    /// The value of the variable named by an `X_env` key (checked and trimmed by the caller).
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
        return value
    }

    /// The path and content of `$CREDENTIALS_DIRECTORY/NAME` for an `X_credential` key.
    mutating func credentialSecret(_ entry: INIEntry) throws(ConfigError) -> (file: String, text: String) {
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
        let text = try readSecretFile(
            file, entry: entry, describe: "credential \(Self.printable(name)) (\(Self.printable(file)))")
        return (file, text)
    }

    /// How to refer to where a secret came from in a message about its content.
    static func origin(of entry: INIEntry, secret: Secret) -> String {
        entry.key.hasSuffix("_file") || entry.key.hasSuffix("_env") || entry.key.hasSuffix("_credential")
            ? "the value of `\(entry.key)` (\(secret.source))" : "`\(entry.key)`"
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
