import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `ssowatch status`: what the state file knows, as text or as the JSON object of docs/COMMANDS.md.
@Suite struct StatusCommandTests {
    /// A JSON object's keys, in any order.
    private func keys(_ value: Any?) -> Set<String> {
        Set((value as? [String: Any])?.keys.map { $0 } ?? [])
    }

    private func isISO8601UTC(_ value: Any?) -> Bool {
        guard let text = value as? String else { return false }
        return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/) != nil
    }

    @Test func withoutAStateFileItPrintsEmptyLists() async throws {
        try await withDaemonRig { rig in
            let config = try rig.config()
                .webhook("audit", type: "generic", url: rig.url(DaemonRig.genericPath))
                .write(to: rig.directory)

            let json = try await runSSOWatch(["status", "--json", "--config", config])
            #expect(json.status == 0, "\(json)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
            #expect((object["accounts"] as? [Any])?.isEmpty == true)
            #expect((object["connectors"] as? [Any])?.isEmpty == true)
            #expect((object["webhooks"] as? [Any])?.isEmpty == true)
            #expect(object["outbox"] as? Int == 0)

            let text = try await runSSOWatch(["status", "--config", config])
            #expect(text.status == 0, "\(text)")
            #expect(text.stdout.contains(rig.statePath), "says which file it looked for: \(text.stdout)")

            let bare = try await runSSOWatch(["status", "--json", "--state-file", rig.directory.path("missing.json")])
            #expect(bare.status == 0, "\(bare)")
            #expect(try StatusOutput(parsing: bare.stdout).connectors.isEmpty)
            #expect(!rig.directory.exists("state.json"), "status never creates the state file")
        }
    }

    @Test func afterARunTheJSONHasEveryDocumentedField() async throws {
        try await withDaemonRig { rig in
            let ok = rig.connector(.prod, "ok.example.com", "verified")
            rig.connector(.prod, "wait.example.com", "pending")
            let config = try rig.config(accounts: [.prod, .staging])
                .account(
                    "dormant", id: "0123456789abcdef0123456789abcdef", token: "cfut_dormant", [("enabled", "false")]
                )
                .webhook("chat", type: "slack", url: rig.url(DaemonRig.slackPath))
                .write(to: rig.directory)

            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "2 connectors in 2 accounts: 1 verified, 1 pending")
                daemon.signal(SIGTERM)
                let result = try await daemon.waitForExit(timeout: .seconds(15))
                #expect(result.status == 0, "\(result)")
            }

            let result = try await runSSOWatch(["status", "--json", "--config", config])
            #expect(result.status == 0, "\(result)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            #expect(keys(object) == ["accounts", "connectors", "webhooks", "outbox", "state", "ha"])
            #expect(object["ha"] is NSNull, "no pair without ha_postgres_url")
            #expect(object["outbox"] as? Int == 0)
            let stateHealth = try #require(object["state"] as? [String: Any])
            #expect(keys(stateHealth) == ["last_saved", "last_error"])
            #expect(isISO8601UTC(stateHealth["last_saved"]), "\(stateHealth)")
            #expect(stateHealth["last_error"] is NSNull)

            let accounts = try #require(object["accounts"] as? [[String: Any]])
            #expect(accounts.map { $0["name"] as? String } == ["prod", "staging", "dormant"], "in file order")
            for account in accounts {
                #expect(
                    keys(account) == [
                        "name", "account_id", "enabled", "last_poll", "last_success", "last_error", "overdue", "pace",
                        "interval", "connectors",
                    ])
            }
            let prod = accounts[0]
            #expect(prod["account_id"] as? String == TestAccount.prod.id)
            #expect(prod["enabled"] as? Bool == true)
            #expect(isISO8601UTC(prod["last_poll"]), "\(prod)")
            #expect(isISO8601UTC(prod["last_success"]), "\(prod)")
            #expect(prod["last_error"] is NSNull)
            #expect(prod["connectors"] as? Int == 2)
            #expect(accounts[1]["connectors"] as? Int == 0)
            #expect(accounts[2]["enabled"] as? Bool == false)
            #expect(accounts[2]["last_poll"] is NSNull, "a disabled account is never polled")
            #expect(accounts[2]["pace"] is NSNull && accounts[2]["interval"] is NSNull, "nor has it a pace")
            #expect(["frequent", "settled"].contains(prod["pace"] as? String), "\(prod)")
            #expect((prod["interval"] as? Int ?? 0) > 0, "\(prod)")

            let connectors = try #require(object["connectors"] as? [[String: Any]])
            #expect(connectors.count == 2)
            for connector in connectors {
                #expect(
                    keys(connector) == [
                        "account", "account_id", "id", "email_domain", "status", "status_since", "enabled",
                        "last_seen", "verification_code", "dns", "auto_begin",
                    ])
                #expect(isISO8601UTC(connector["status_since"]))
                #expect(isISO8601UTC(connector["last_seen"]))
            }
            let verified = try #require(connectors.first { $0["id"] as? String == ok })
            #expect(verified["account"] as? String == "prod")
            #expect(verified["account_id"] as? String == TestAccount.prod.id)
            #expect(verified["email_domain"] as? String == "ok.example.com")
            #expect(verified["status"] as? String == "verified")
            #expect(verified["enabled"] as? Bool == false)
            #expect(verified["verification_code"] as? String == "cloudflare_dashboard_sso=\(ok)")

            let webhooks = try #require(object["webhooks"] as? [[String: Any]])
            #expect(webhooks.count == 1)
            let chat = try #require(webhooks.first)
            #expect(keys(chat) == ["name", "type", "host", "queued", "failing", "last_error"])
            #expect(chat["name"] as? String == "chat")
            #expect(chat["type"] as? String == "slack")
            #expect(chat["host"] as? String == "127.0.0.1")
            #expect(chat["queued"] as? Int == 0)
            #expect(chat["failing"] as? Bool == false)
            #expect(chat["last_error"] is NSNull)
            #expect(!result.stdout.contains("/slack/"), "the webhook URL is a secret")

            let text = try await runSSOWatch(["status", "--config", config])
            #expect(text.status == 0, "\(text)")
            #expect(
                text.stdout.contains("ok.example.com") && text.stdout.contains("wait.example.com"), "\(text.stdout)")
        }
    }

    @Test func stateFileOptionWorksWithoutAConfiguration() async throws {
        try await withDaemonRig { rig in
            let ok = rig.connector(.prod, "ok.example.com", "verified")
            let config = try rig.config().write(to: rig.directory)
            try await rig.withDaemon(config) { daemon in
                try await rig.waitForStatus(containing: "1 connector in 1 account: 1 verified")
                daemon.signal(SIGTERM)
                #expect(try await daemon.waitForExit(timeout: .seconds(15)).status == 0)
            }
            // No --config, no $SSOWATCH_CONFIG: the default /etc path is not read.
            try FileManager.default.removeItem(atPath: config)
            let result = try await runSSOWatch(["status", "--json", "--state-file", rig.statePath])
            #expect(result.status == 0, "\(result)")
            let status = try StatusOutput(parsing: result.stdout)
            #expect(status.accounts.map(\.name) == ["prod"])
            #expect(status.accounts.first?.accountID == TestAccount.prod.id)
            #expect(status.accounts.first?.enabled == nil, "only the configuration knows")
            #expect(status.connector(ok)?.status == "verified")
            #expect(status.connector(ok)?.emailDomain == "ok.example.com")

            let text = try await runSSOWatch(["status", "--state-file", rig.statePath])
            #expect(text.status == 0, "\(text)")
            #expect(text.stdout.contains("ok.example.com"), "\(text.stdout)")

            let both = try await runSSOWatch(["status", "--state-file", rig.statePath, "--config", "/nonexistent.ini"])
            #expect(both.status == 64, "either --config or --state-file: \(both)")
        }
    }
}
