import Foundation
import SSOWatchSimulator

/// Builds an INI configuration for tests and writes it, with its secrets, into a temporary directory:
///
/// ```swift
/// let path = try ConfigFile(simulator: sim)
///     .daemon("poll_interval", "1s")
///     .account("prod", id: accountID, token: "cfut_prod")
///     .webhook("ops", type: "slack", url: receiver.url(path: "/slack"))
///     .write(to: directory)
/// ```
///
/// Tokens go to `token-NAME` files (`api_token_file`) and webhook URLs to `webhook-NAME.url`
/// (`url_file`), all mode 0600, so no secret sits in the INI itself. Unless `state_file` is given, the
/// state lives in `state.json` in the same directory.
struct ConfigFile: Sendable {
    struct Account: Sendable {
        var name: String
        var accountID: String
        /// Written to a file and referenced by `api_token_file`; `nil` writes no token key.
        var token: String?
        var settings: [Setting]
    }

    struct Webhook: Sendable {
        var name: String
        var type: String
        /// Written to a file and referenced by `url_file`.
        var url: String
        var settings: [Setting]
    }

    typealias Setting = (key: String, value: String)

    var apiBaseURL: String?
    var daemonSettings: [Setting] = []
    var accounts: [Account] = []
    var webhooks: [Webhook] = []
    /// Lines appended verbatim after everything else (to break the file on purpose, for instance).
    var extraLines: [String] = []

    /// A configuration whose `[daemon]` section points at `apiBaseURL` (none: Cloudflare's default).
    init(apiBaseURL: String? = nil) {
        self.apiBaseURL = apiBaseURL
    }

    /// A configuration for a running simulator.
    init(simulator: CloudflareSimulator) {
        self.init(apiBaseURL: simulator.baseURL)
    }

    /// Adds a `[daemon]` key.
    func daemon(_ key: String, _ value: String) -> ConfigFile {
        var copy = self
        copy.daemonSettings.append((key, value))
        return copy
    }

    /// Adds an `[account "NAME"]` section; `settings` are extra keys (`poll_interval`, `enabled`, …).
    func account(_ name: String, id: String, token: String?, _ settings: [Setting] = []) -> ConfigFile {
        var copy = self
        copy.accounts.append(Account(name: name, accountID: id, token: token, settings: settings))
        return copy
    }

    /// Adds a `[webhook "NAME"]` section; `settings` are extra keys (`events`, `secret_file`, …).
    func webhook(_ name: String, type: String, url: String, _ settings: [Setting] = []) -> ConfigFile {
        var copy = self
        copy.webhooks.append(Webhook(name: name, type: type, url: url, settings: settings))
        return copy
    }

    /// Gives account `name` another token (`nil`: none in its section).
    func token(of name: String, _ token: String?) -> ConfigFile {
        var copy = self
        for index in copy.accounts.indices where copy.accounts[index].name == name {
            copy.accounts[index].token = token
        }
        return copy
    }

    /// Appends raw lines.
    func appending(_ lines: String...) -> ConfigFile {
        var copy = self
        copy.extraLines += lines
        return copy
    }

    /// The INI text; writes the secret files it refers to into `directory`.
    func render(secretsIn directory: TemporaryDirectory) throws -> String {
        var lines = ["# written by the ssowatch integration tests", "[daemon]"]
        if let apiBaseURL { lines.append("api_base_url = \(apiBaseURL)") }
        if !daemonSettings.contains(where: { $0.key == "state_file" }) {
            lines.append("state_file = \(directory.path("state.json"))")
        }
        // The daemon's DNS check would ask the host's resolvers about the tests' domains: off unless a test
        // turns it on (and points it at the simulator's nameservers). No test sends a packet off loopback.
        if !daemonSettings.contains(where: { $0.key == "dns_check" }) { lines.append("dns_check = off") }
        // Adaptive polling would poll an account whose connectors are all settled every 30 minutes: the tests
        // that flip a settled status expect the next poll_interval, unless they test adaptive polling.
        if !daemonSettings.contains(where: { $0.key == "settled_poll_interval" }) {
            lines.append("settled_poll_interval = 0")
        }
        lines += daemonSettings.map { "\($0.key) = \($0.value)" }
        for account in accounts {
            lines += ["", "[account \"\(account.name)\"]", "account_id = \(account.accountID)"]
            if let token = account.token {
                lines.append("api_token_file = \(try directory.write("token-\(account.name)", token + "\n"))")
            }
            lines += account.settings.map { "\($0.key) = \($0.value)" }
        }
        for webhook in webhooks {
            let urlFile = try directory.write("webhook-\(webhook.name).url", webhook.url + "\n")
            lines += ["", "[webhook \"\(webhook.name)\"]", "type = \(webhook.type)", "url_file = \(urlFile)"]
            lines += webhook.settings.map { "\($0.key) = \($0.value)" }
        }
        lines += extraLines
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the configuration (mode 0600) and its secrets into `directory`; returns the INI's path.
    @discardableResult
    func write(to directory: TemporaryDirectory, name: String = "ssowatch.ini") throws -> String {
        try directory.write(name, render(secretsIn: directory))
    }
}
