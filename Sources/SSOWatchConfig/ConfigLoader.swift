import Foundation
import SSOWatchModel

/// Reads, parses and validates the INI configuration of docs/CONFIGURATION.md into a ``Configuration``.
///
/// Secrets (tokens, webhook URLs, signing secrets) are resolved while loading, so a missing secret
/// file or an unset variable is a configuration error with the line of its key, and a reload
/// re-reads every file. Every error is a ``ConfigError`` (`PATH:LINE: message`) whose message never
/// contains a secret.
public struct ConfigLoader: Sendable {
    /// The default path when neither `--config` nor `$SSOWATCH_CONFIG` is given.
    public static let defaultPath = "/etc/ssowatch/ssowatch.ini"

    let environment: [String: String]
    let fileSystem: any ConfigFileSystem

    /// Creates a loader.
    /// - Parameters:
    ///   - environment: for `STATE_DIRECTORY`, `CREDENTIALS_DIRECTORY`, `CLOUDFLARE_API_TOKEN` and `*_env` keys.
    ///   - fileSystem: reads the configuration and secret files.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileSystem: any ConfigFileSystem = RealConfigFileSystem()
    ) {
        self.environment = environment
        self.fileSystem = fileSystem
    }

    /// The configuration path: an explicit `--config`, else `$SSOWATCH_CONFIG`, else ``defaultPath``.
    public static func resolvePath(explicit: String?, environment: [String: String]) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["SSOWATCH_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultPath
    }

    /// Loads and validates the configuration file at `path`.
    /// - Throws: ``ConfigError`` with the file's line; line 1 for problems with the whole file.
    public func load(path: String) throws(ConfigError) -> Configuration {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.readFile(path)
        } catch {
            throw ConfigError(path: path, line: 1, message: "cannot read the configuration file: \(error)")
        }
        let sections = try Self.sections(bytes: bytes, path: path)
        var builder = ConfigBuilder(path: path, environment: environment, fileSystem: fileSystem)
        var configuration = try builder.build(sections)
        if let mode = fileSystem.permissions(path), mode & 0o004 != 0 {
            configuration.warnings += Self.inlineSecretWarnings(sections, path: path, mode: mode)
        }
        return configuration
    }

    /// Validates configuration text as if it had been read from `path` (secret files are still read
    /// through the file system).
    /// - Throws: ``ConfigError``.
    public func parse(text: String, path: String) throws(ConfigError) -> Configuration {
        var builder = ConfigBuilder(path: path, environment: environment, fileSystem: fileSystem)
        return try builder.build(Self.sections(bytes: Array(text.utf8), path: path))
    }

    /// Checks that the bytes are non-empty text, then parses their syntax.
    static func sections(bytes: [UInt8], path: String) throws(ConfigError) -> [INISection] {
        let text = try decodeText(bytes, path: path)
        guard !text.allSatisfy(\.isWhitespace) else {
            throw ConfigError(
                path: path, line: 1,
                message: "the configuration file is empty; it needs at least one "
                    + "[account \"NAME\"] section with an account_id")
        }
        do {
            return try INIParser.parse(text)
        } catch {
            throw ConfigError(path: path, line: error.line, message: error.message)
        }
    }

    /// UTF-8 text without NUL bytes, with a leading byte-order mark removed.
    static func decodeText(_ bytes: [UInt8], path: String) throws(ConfigError) -> String {
        func lineNumber(at offset: Int) -> Int { bytes[..<offset].count(where: { $0 == 0x0A }) + 1 }
        if let nul = bytes.firstIndex(of: 0) {
            throw ConfigError(
                path: path, line: 1,
                message: "not a text file: it contains a NUL byte (line "
                    + "\(lineNumber(at: nul))); is this the right file?")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            var offset = 0
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                if String(validating: line, as: UTF8.self) == nil { break }
                offset += line.count + 1
            }
            throw ConfigError(
                path: path, line: 1,
                message: "not UTF-8 text (first invalid byte on line "
                    + "\(lineNumber(at: min(offset, bytes.count)))); save the file as UTF-8")
        }
        return text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    }

    /// Warnings for secrets written inline in a configuration file that other users can read.
    static func inlineSecretWarnings(_ sections: [INISection], path: String, mode: UInt16) -> [ConfigWarning] {
        let inlineKeys: Set = ["api_token", "url", "secret"]
        let modeText = String(mode, radix: 8)
        return sections.flatMap(\.entries).filter { inlineKeys.contains($0.key) }.map { entry in
            ConfigWarning(
                path: path, line: entry.line,
                message: "`\(entry.key)` holds a secret in a file other users can read (mode \(modeText)); "
                    + "run `chmod o-r \(path)` or move it to `\(entry.key)_file`")
        }
    }
}
