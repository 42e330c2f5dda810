import ArgumentParser
import Foundation
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel

/// `--config PATH`, shared by every command that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The INI file (default: $SSOWATCH_CONFIG, else /etc/ssowatch/ssowatch.ini).")
    var config: String?

    /// The path to read, per docs/CONFIGURATION.md.
    var path: String { ConfigLoader.resolvePath(explicit: config, environment: ProcessInfo.processInfo.environment) }

    /// Whether the user named a configuration (flag or environment), as opposed to the default path.
    var isExplicit: Bool { config != nil || ProcessInfo.processInfo.environment["SSOWATCH_CONFIG"] != nil }

    /// Loads the configuration, printing its warnings; a bad file ends the process with status 78.
    func load() throws -> Configuration {
        do {
            let configuration = try ConfigLoader().load(path: path)
            for warning in configuration.warnings {
                printError(warning.description)
            }
            return configuration
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.config)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    LogOutput.writeToStandardError(line + "\n")
}

/// Fails with a usage error (exit 64) and a message.
func usageError(_ message: String) -> ExitCode {
    printError("ssowatch: \(message)")
    return ExitCode(ExitStatus.usage)
}

/// Whether a string is a Cloudflare id: 32 hexadecimal characters.
func isCloudflareID(_ value: String) -> Bool {
    value.utf8.count == 32 && value.allSatisfy(\.isHexDigit)
}
