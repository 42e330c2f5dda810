// libFuzzer entry point for the configuration loader: INI syntax (INIParser), text decoding (NUL,
// UTF-8, BOM), every section and value check (ConfigBuilder), secret resolution through a fake file
// system and environment, and the check-config summary. Build and run with `make fuzz` (fuzz/run.sh).
//
// Oracles beyond "no crash": a secret that the fake file system or environment hands out must never
// appear in an error, a warning or the summary, unless the input itself contains it.

import Foundation
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// Every secret handed out below contains this, so one search finds a leak.
private let secretMarker = "FUZZSECRET"

/// The path the fuzzed bytes are "read" from.
private let configPath = "/etc/ssowatch/fuzz.ini"

/// Secret files and credentials: names decide what comes back, so the fuzzer can reach every branch
/// (unreadable, binary, empty, readable by others, a valid token, URL or signing secret).
private struct FuzzFileSystem: ConfigFileSystem {
    let config: [UInt8]

    func readFile(_ path: String) throws -> [UInt8] {
        if path == configPath { return config }
        if path.contains("missing") { throw ConfigFileSystemError(reason: "No such file or directory") }
        if path.contains("binary") { return [0x00, 0xFF, 0xFE] }
        if path.contains("empty") { return Array(" \n".utf8) }
        if path.contains("url") { return Array("https://hooks.example.com/services/\(secretMarker)url\n".utf8) }
        if path.contains("whsec") { return Array("whsec_\(secretMarker)abcdef\n".utf8) }
        return Array("  \(secretMarker)-file-token \n".utf8)
    }

    func permissions(_ path: String) -> UInt16? {
        path.contains("open") || path == configPath ? 0o644 : 0o600
    }
}

private let environment = [
    "CLOUDFLARE_API_TOKEN": "\(secretMarker)-environment-token",
    "TOKEN": "\(secretMarker)-env",
    "HOOK": "https://chat.example.org/hook/\(secretMarker)-env-url",
    "SPACES": "  \(secretMarker) with spaces  ",
    "EMPTY": "  ",
    "CREDENTIALS_DIRECTORY": "/run/credentials/ssowatch.service",
    "STATE_DIRECTORY": "/var/lib/ssowatch",
]

private func checkNoSecret(_ text: String, _ what: String, inputHasMarker: Bool) {
    if !inputHasMarker && text.contains(secretMarker) {
        fatalError("a secret leaked into \(what): \(text)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let inputHasMarker = String(decoding: bytes, as: UTF8.self).contains(secretMarker)
    let loader = ConfigLoader(environment: environment, fileSystem: FuzzFileSystem(config: bytes))
    do {
        let configuration = try loader.load(path: configPath)
        precondition(!configuration.accounts.isEmpty, "a valid configuration has at least one account")
        checkNoSecret(ConfigSummary.render(configuration), "the summary", inputHasMarker: inputHasMarker)
        for warning in configuration.warnings {
            checkNoSecret(warning.description, "a warning", inputHasMarker: inputHasMarker)
        }
    } catch {
        precondition(error.path == configPath)
        precondition(error.line >= 1, "line numbers are 1-based")
        checkNoSecret(error.description, "an error", inputHasMarker: inputHasMarker)
    }
    // The parser alone, on any text (the loader stops at invalid UTF-8 or a NUL byte first).
    if let text = String(validating: bytes, as: UTF8.self) {
        do {
            for section in try INIParser.parse(text) {
                _ = section.header
            }
        } catch {
            precondition(error.line >= 1)
        }
    }
    return 0
}
