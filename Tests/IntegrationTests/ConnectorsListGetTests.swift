import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// `ssowatch connectors list` and `get`: the table, the description and the raw JSON.
@Suite struct ConnectorsListGetTests: ConnectorsCommandSuite {
    @Test func listPrintsATableOfTheAccountsConnectors() async throws {
        try await withSimulatedSetup { setup in
            let verified = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "verified.example.com", status: "verified", enabled: true)
            let pending = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "pending.example.com", status: "pending")
            setup.simulator.addConnector(accountID: Self.staging.id, domain: "other-account.example.com")

            let result = try await setup.run(["connectors", "list", "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            try #require(lines.count == 3, "\(result)")
            #expect(lines[0].split(separator: " ") == ["DOMAIN", "STATUS", "ENABLED", "ID", "TXT", "VALUE"])
            #expect(
                lines[1].split(separator: " ").map(String.init) == [
                    "verified.example.com", "verified", "yes", verified, "cloudflare_dashboard_sso=\(verified)",
                ])
            #expect(
                lines[2].split(separator: " ").map(String.init) == [
                    "pending.example.com", "pending", "no", pending, "cloudflare_dashboard_sso=\(pending)",
                ])
            #expect(column(of: "STATUS", in: lines[0]) == column(of: "verified ", in: lines[1]), "columns line up")
            #expect(column(of: "ID", in: lines[0]) == column(of: pending, in: lines[2]))
            let request = try onlyRequest(setup)
            #expect(request.method == "GET")
            #expect(request.path == setup.connectorsPath())
            #expect(request.query == nil)
            #expect(request.header("Authorization") == "Bearer \(Self.prod.token)")
            #expect(request.header("User-Agent") == "ssowatch/\(SSOWatchVersion.string)")
        }
    }

    @Test func listOfAnEmptyAccountSaysSo() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(["connectors", "list", "--account", "staging"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "No SSO connectors.\n")
            #expect(try onlyRequest(setup).header("Authorization") == "Bearer \(Self.staging.token)")
        }
    }

    @Test func listJSONPrintsTheRawResultIncludingFieldsSSOWatchDoesNotKnow() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "raw.example.com")
            let raw = """
                {"id":"\(id)","email_domain":"raw.example.com","enabled":false,"brand_new_field":{"x":[1,2]},\
                "verification":{"code":"cloudflare_dashboard_sso=\(id)","status":"some_future_status"}}
                """
            setup.simulator.setRawConnectorJSON(accountID: Self.prod.id, connectorID: id, json: raw)

            let result = try await setup.run(["connectors", "list", "--account", "prod", "--json"])

            #expect(result.status == 0, "\(result)")
            #expect(try canonicalJSON(result.stdout) == canonicalJSON("[\(raw)]"), "\(result)")
        }
    }

    @Test func listWarnsWhenCloudflareReportsMoreConnectorsThanItReturned() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.addConnector(accountID: Self.prod.id, domain: "one.example.com")
            setup.simulator.setReportedTotalCount(accountID: Self.prod.id, 30)

            let result = try await setup.run(["connectors", "list", "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("one.example.com"))
            #expect(result.stderr.contains("warning"), "\(result)")
            #expect(result.stderr.contains("30"), "\(result)")
        }
    }

    // MARK: - get

    @Test func getDescribesOneConnector() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "get.example.com", status: "failed")

            let result = try await setup.run(["connectors", "get", id, "--account", "prod"])

            #expect(result.status == 0, "\(result)")
            #expect(field("id", in: result.stdout) == id, "\(result)")
            #expect(field("email_domain", in: result.stdout) == "get.example.com")
            #expect(field("status", in: result.stdout) == "failed")
            #expect(field("enabled", in: result.stdout) == "no")
            #expect(field("txt_value", in: result.stdout) == "cloudflare_dashboard_sso=\(id)")
            let request = try onlyRequest(setup)
            #expect(request.method == "GET")
            #expect(request.path == setup.connectorsPath() + "/" + id)
        }
    }

    @Test func getJSONPrintsTheRawObject() async throws {
        try await withSimulatedSetup { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "json.example.com")
            let result = try await setup.run(["connectors", "get", id, "--account", "prod", "--json"])
            #expect(result.status == 0, "\(result)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["id"] as? String == id, "\(result)")
            #expect(object?["email_domain"] as? String == "json.example.com")
            #expect((object?["verification"] as? [String: Any])?["status"] as? String == "pending")
        }
    }

    @Test func getOfAnUnknownConnectorIsAnAPIError() async throws {
        try await withSimulatedSetup { setup in
            let result = try await setup.run(["connectors", "get", Self.unknownConnector, "--account", "prod"])
            #expect(result.status == 69, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("HTTP 404"), "\(result)")
            #expect(result.stderr.contains("1003 SSO connector not found"), "\(result)")
        }
    }
}
