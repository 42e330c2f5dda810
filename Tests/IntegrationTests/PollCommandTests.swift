import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// `ssowatch poll` and `ssowatch --version`.
@Suite struct PollCommandTests: ConnectorsCommandSuite {
    @Test func pollPrintsEveryAccountAndExits69WhenOneFails() async throws {
        try await withSimulatedSetup(configure: { $0.token(of: "staging", "cfut_staging_revoked_1111") }) { setup in
            let id = setup.simulator.addConnector(
                accountID: Self.prod.id, domain: "polled.example.com", status: "verified")

            let result = try await setup.run(["poll"])

            #expect(result.status == 69, "\(result)")
            #expect(result.stdout.contains("== prod (\(Self.prod.id))"), "\(result)")
            #expect(result.stdout.contains("polled.example.com"), "\(result)")
            #expect(result.stdout.contains(id))
            #expect(result.stdout.contains("== staging (\(Self.staging.id))"), "\(result)")
            #expect(result.stderr.contains("staging"), "\(result)")
            #expect(result.stderr.contains("10000 Authentication error"), "\(result)")
            #expect(!result.stderr.contains("cfut_"), "no token in any message")
            #expect(
                Set(requestLines(setup)) == [
                    "GET \(setup.connectorsPath(.prod))", "GET \(setup.connectorsPath(.staging))",
                ])
            #expect(setup.simulator.requests.allSatisfy { $0.query == nil })
        }
    }

    @Test func pollJSONCarriesEachAccountsConnectorsOrError() async throws {
        try await withSimulatedSetup(configure: { $0.token(of: "staging", "cfut_staging_revoked_2222") }) { setup in
            let id = setup.simulator.addConnector(accountID: Self.prod.id, domain: "j.example.com", status: "pending")

            let result = try await setup.run(["poll", "--json"])

            #expect(result.status == 69, "\(result)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            let accounts = try #require(object["accounts"] as? [[String: Any]])
            try #require(accounts.count == 2)
            #expect(accounts.map { $0["name"] as? String } == ["prod", "staging"])
            #expect(accounts[0]["account_id"] as? String == Self.prod.id)
            let connectors = try #require(accounts[0]["connectors"] as? [[String: Any]])
            #expect(connectors.map { $0["id"] as? String } == [id])
            #expect(accounts[0]["error"] is NSNull)
            #expect(accounts[1]["connectors"] is NSNull)
            #expect((accounts[1]["error"] as? String)?.contains("10000") == true)
        }
    }

    @Test func pollOfHealthyAccountsExits0() async throws {
        try await withSimulatedSetup { setup in
            setup.simulator.addConnector(accountID: Self.staging.id, domain: "ok.example.com")
            let result = try await setup.run(["poll"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("ok.example.com"))
            #expect(result.stdout.contains("No SSO connectors."), "prod has none")
        }
    }

    @Test func versionPrintsTheVersion() async throws {
        let result = try await runSSOWatch(["--version"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == SSOWatchVersion.string + "\n")
    }
}
