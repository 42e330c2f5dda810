import Foundation

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// An in-memory ``ConfigFileSystem``: files by path, with optional permission bits (default 0600).
struct InMemoryConfigFileSystem: ConfigFileSystem {
    var files: [String: [UInt8]]
    var modes: [String: UInt16]

    init(_ files: [String: String] = [:], modes: [String: UInt16] = [:]) {
        self.files = files.mapValues { Array($0.utf8) }
        self.modes = modes
    }

    func readFile(_ path: String) throws -> [UInt8] {
        guard let bytes = files[path] else { throw ConfigFileSystemError(reason: "No such file or directory") }
        return bytes
    }

    func permissions(_ path: String) -> UInt16? {
        files[path] == nil ? nil : modes[path] ?? 0o600
    }
}

/// Literals and shortcuts shared by the configuration tests.
enum ConfigFixture {
    static let path = "/etc/ssowatch/ssowatch.ini"
    static let accountID = "023e105f4ecef8ad9ca31a8372d0c353"
    static let otherAccountID = "9a7806061c88ada191ed06f989cc3dac"
    static let environmentToken = "env-token-0123456789"
    static let environment = ["CLOUDFLARE_API_TOKEN": environmentToken]

    /// `[account "prod"]` with an account_id: lines 1 and 2.
    static let account = ["[account \"prod\"]", "account_id = \(accountID)"]

    /// A `[webhook "chat"]` section of `type` with a URL, then `extra` lines.
    static func webhook(_ type: String = "slack", _ extra: [String] = []) -> [String] {
        ["[webhook \"chat\"]", "type = \(type)", "url = https://hooks.example.com/services/T0/B0/XYZ"] + extra
    }

    /// Parses text made of `lines` as `path`.
    static func parse(
        _ lines: [String], environment: [String: String] = environment,
        files: InMemoryConfigFileSystem = InMemoryConfigFileSystem()
    ) throws(ConfigError) -> Configuration {
        try ConfigLoader(environment: environment, fileSystem: files).parse(
            text: lines.joined(separator: "\n") + "\n", path: path)
    }

    /// The error for `lines`, or `nil` when they are valid.
    static func error(
        _ lines: [String], environment: [String: String] = environment,
        files: InMemoryConfigFileSystem = InMemoryConfigFileSystem()
    ) -> ConfigError? {
        do {
            _ = try parse(lines, environment: environment, files: files)
            return nil
        } catch {
            return error
        }
    }
}
