import Foundation
@testable import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

@Suite struct SimulatorTests {
    typealias F = SimulatorFixture

    @Test func listServesEnvelopeResultInfoAndRateLimitHeaders() async throws {
        try await withSimulator { sim in
            let id = sim.addConnector(accountID: F.account, domain: "example.com", status: "verified")
            sim.addConnector(accountID: F.account, domain: "example.org")
            let response = try await rawRequest(port: sim.port, path: F.connectorPath, headers: F.auth)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Ratelimit") == "\"default\";r=1199;t=300")
            #expect(response.header("Ratelimit-Policy") == "\"burst\";q=1200;w=300")
            let json = try #require(response.json)
            #expect(json["success"] as? Bool == true)
            #expect((json["errors"] as? [Any])?.isEmpty == true)
            #expect((json["messages"] as? [Any])?.isEmpty == true)
            let info = try #require(json["result_info"] as? [String: Int])
            #expect(info == ["count": 2, "page": 1, "per_page": 2, "total_count": 2])

            // Read by the client's decoder: the simulator answers in Cloudflare's shape.
            let connectors = try #require(
                try? CloudflareClient.decode(
                    HTTPResponseSpec(status: 200, body: Array(response.body.utf8)), expecting: .list, operation: "GET"
                ).result.list)
            #expect(connectors.map(\.emailDomain) == ["example.com", "example.org"])
            #expect(connectors[0].id == id)
            #expect(connectors[0].status == .verified)
            #expect(connectors[0].verificationCode == "cloudflare_dashboard_sso=\(id)")
            #expect(connectors[0].enabled == false && connectors[0].useFedrampLanguage == false)
            #expect(connectors[1].status == .pending)
            let created = try #require(connectors[0].createdOn)
            #expect(created.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{4}Z/) != nil)
        }
    }

    @Test func rateLimitRemainingCountsDownPerToken() async throws {
        try await withSimulator { sim in
            for expected in [1199, 1198, 1197] {
                let response = try await rawRequest(port: sim.port, path: F.connectorPath, headers: F.auth)
                #expect(response.header("Ratelimit")?.hasPrefix("\"default\";r=\(expected);") == true)
            }
            let other = try await rawRequest(
                port: sim.port, path: "/client/v4/accounts/\(F.otherAccount)/sso_connectors",
                headers: [("Authorization", "Bearer \(F.otherToken)")])
            #expect(other.header("Ratelimit")?.hasPrefix("\"default\";r=1199;") == true)
        }
    }

    @Test func enforcedRateLimitAnswers429WithRetryAfter() async throws {
        try await withSimulator { sim in
            sim.rateLimit = RateLimitPolicy(quota: 2, windowSeconds: 60, enforced: true)
            for _ in 0..<2 {
                #expect(try await rawRequest(port: sim.port, path: F.connectorPath, headers: F.auth).status == 200)
            }
            let limited = try await rawRequest(port: sim.port, path: F.connectorPath, headers: F.auth)
            #expect(limited.status == 429)
            #expect(limited.errorCodes == [971])
            // The rest of the 60 s window (a busy machine may have spent a few seconds of it).
            #expect((30...60).contains(Int(limited.header("Retry-After") ?? "") ?? 0))
        }
    }

    @Test func createDefaultsToPendingAndCanWaitForVerification() async throws {
        try await withSimulator { sim in
            let created = try await rawRequest(
                port: sim.port, method: "POST", path: F.connectorPath, headers: F.jsonAuth,
                body: #"{"email_domain":"example.com"}"#)
            #expect(created.status == 200)
            let result = try #require(created.json?["result"] as? [String: Any])
            let id = try #require(result["id"] as? String)
            #expect(id.count == 32)
            #expect((result["verification"] as? [String: String])?["status"] == "pending")
            #expect((result["verification"] as? [String: String])?["code"] == "cloudflare_dashboard_sso=\(id)")
            #expect(result["enabled"] as? Bool == false)

            let later = try await rawRequest(
                port: sim.port, method: "POST", path: F.connectorPath, headers: F.jsonAuth,
                body: #"{"email_domain":"example.org","begin_verification":false,"use_fedramp_language":true}"#)
            let laterResult = try #require(later.json?["result"] as? [String: Any])
            #expect((laterResult["verification"] as? [String: String])?["status"] == "awaiting")
            #expect(laterResult["use_fedramp_language"] as? Bool == true)
            #expect(sim.connectors(accountID: F.account).map(\.status) == ["pending", "awaiting"])
        }
    }

    @Test func createRefusesADuplicateDomain() async throws {
        try await withSimulator { sim in
            sim.addConnector(accountID: F.account, domain: "example.com")
            let response = try await rawRequest(
                port: sim.port, method: "POST", path: F.connectorPath, headers: F.jsonAuth,
                body: #"{"email_domain":"EXAMPLE.com"}"#)
            #expect(response.status == 400)
            #expect(response.errorCodes == [SimulatedErrorCode.duplicateDomain.rawValue])
            #expect(sim.connectors(accountID: F.account).count == 1)
        }
    }

    @Test func getReturnsOneConnectorAndUnknownIsNotFound() async throws {
        try await withSimulator { sim in
            let id = sim.addConnector(accountID: F.account, domain: "example.com", status: "failed")
            let response = try await rawRequest(port: sim.port, path: "\(F.connectorPath)/\(id)", headers: F.auth)
            let result = try #require(response.json?["result"] as? [String: Any])
            #expect(result["email_domain"] as? String == "example.com")
            #expect((result["verification"] as? [String: String])?["status"] == "failed")

            let missing = try await rawRequest(
                port: sim.port, path: "\(F.connectorPath)/\(String(repeating: "ab", count: 16))", headers: F.auth)
            #expect(missing.status == 404)
            #expect(missing.errorCodes == [SimulatedErrorCode.connectorNotFound.rawValue])
            #expect(missing.json?["result"] is NSNull)
        }
    }

    @Test func patchChangesFlagsButEnablesOnlyVerifiedConnectors() async throws {
        try await withSimulator { sim in
            let pending = sim.addConnector(accountID: F.account, domain: "pending.example")
            let refused = try await rawRequest(
                port: sim.port, method: "PATCH", path: "\(F.connectorPath)/\(pending)", headers: F.jsonAuth,
                body: #"{"enabled":true}"#)
            #expect(refused.status == 400)
            #expect(refused.errorCodes == [SimulatedErrorCode.notVerified.rawValue])

            let verified = sim.addConnector(accountID: F.account, domain: "ok.example", status: "verified")
            let response = try await rawRequest(
                port: sim.port, method: "PATCH", path: "\(F.connectorPath)/\(verified)", headers: F.jsonAuth,
                body: #"{"enabled":true,"use_fedramp_language":true}"#)
            #expect(response.status == 200)
            let result = try #require(response.json?["result"] as? [String: Any])
            #expect(result["enabled"] as? Bool == true)
            #expect(result["use_fedramp_language"] as? Bool == true)
            #expect(sim.connector(accountID: F.account, id: verified)?.enabled == true)
        }
    }

    @Test func deleteReturnsTheIdAndRemovesTheConnector() async throws {
        try await withSimulator { sim in
            let id = sim.addConnector(accountID: F.account, domain: "example.com")
            let response = try await rawRequest(
                port: sim.port, method: "DELETE", path: "\(F.connectorPath)/\(id)", headers: F.auth)
            #expect(response.status == 200)
            #expect(response.json?["result"] as? [String: String] == ["id": id])
            #expect(sim.connectors(accountID: F.account).isEmpty)
        }
    }

    @Test func beginVerificationAnswersWithoutResultAndSetsPending() async throws {
        try await withSimulator { sim in
            let id = sim.addConnector(accountID: F.account, domain: "example.com", status: "failed")
            let response = try await rawRequest(
                port: sim.port, method: "POST", path: "\(F.connectorPath)/\(id)/begin_verification", headers: F.auth)
            #expect(response.status == 200)
            #expect(response.body == #"{"success":true,"errors":[],"messages":[]}"#)
            #expect(sim.connector(accountID: F.account, id: id)?.status == "pending")
        }
    }

    @Test func recordsEveryRequestIncludingItsQueryString() async throws {
        try await withSimulator { sim in
            _ = try await rawRequest(port: sim.port, path: F.connectorPath + "?page=2&per_page=50", headers: F.auth)
            _ = try await rawRequest(
                port: sim.port, method: "POST", path: F.connectorPath, headers: F.jsonAuth,
                body: #"{"email_domain":"example.com"}"#)
            let requests = sim.requests
            #expect(requests.count == 2 && sim.requestCount == 2)
            #expect(requests[0].query == "page=2&per_page=50")
            #expect(requests[0].path == F.connectorPath)
            #expect(requests[0].responseStatus == 200)
            #expect(requests[1].query == nil)
            #expect(requests[1].method == "POST")
            #expect(requests[1].header("authorization") == "Bearer \(F.token)")
            #expect(requests[1].bodyString == #"{"email_domain":"example.com"}"#)
            #expect(requests.map(\.sequence) == [1, 2])
        }
    }

    @Test func keepsConnectionsAlive() async throws {
        try await withSimulator { sim in
            let port = sim.port
            let statuses = try await offPool { () -> [Int] in
                let connection = try RawHTTPConnection(port: port)
                return try (0..<3).map { _ in
                    connection.send(method: "GET", path: F.connectorPath, headers: F.auth, body: nil)
                    return try connection.readResponse().status
                }
            }
            #expect(statuses == [200, 200, 200])
        }
    }

    @Test func rawConnectorJSONAndMissingStatusAreServedVerbatim() async throws {
        try await withSimulator { sim in
            let raw = sim.addConnector(accountID: F.account, domain: "raw.example")
            let odd = #"{"email_domain":"raw.example","verification":{"status":"revoked"},"shiny_new_field":[1,2]}"#
            #expect(sim.setRawConnectorJSON(accountID: F.account, connectorID: raw, json: odd))
            let bare = sim.addConnector(accountID: F.account, domain: "bare.example", status: nil)
            sim.setReportedTotalCount(accountID: F.account, 40)
            let response = try await rawRequest(port: sim.port, path: F.connectorPath, headers: F.auth)
            #expect(response.body.contains(#""result":[\#(odd),"#))
            let result = try #require(response.json?["result"] as? [[String: Any]])
            #expect(result[1]["id"] as? String == bare)
            #expect((result[1]["verification"] as? [String: Any])?.keys.sorted() == ["code"])
            #expect((response.json?["result_info"] as? [String: Int])?["total_count"] == 40)
        }
    }

    @Test func scheduledStatusChangeHappensLaterAndIsAnnounced() async throws {
        try await withSimulator { sim in
            let id = sim.addConnector(accountID: F.account, domain: "example.com")
            let changes = AsyncStream<SimulatedConnector>.makeStream()
            sim.scheduleStatusChange(accountID: F.account, connectorID: id, to: "verified", after: .milliseconds(20)) {
                changes.continuation.yield($0)
            }
            #expect(sim.connector(accountID: F.account, id: id)?.status == "pending")
            var iterator = changes.stream.makeAsyncIterator()
            let changed = await iterator.next()
            #expect(changed?.status == "verified")
            #expect(sim.connector(accountID: F.account, id: id)?.status == "verified")
        }
    }

    @Test func waitForRequestsReturnsWhenServedAndFailsClearlyAtTheDeadline() async throws {
        try await withSimulator { sim in
            let port = sim.port
            async let response = rawRequest(port: port, path: F.connectorPath, headers: F.auth)
            try await sim.waitForRequests(count: 1, timeout: .seconds(5))
            #expect(try await response.status == 200)
            let error = await #expect(throws: SimulatorError.self) {
                try await sim.waitForRequests(count: 2, timeout: .milliseconds(50))
            }
            #expect(error?.description.contains("only 1 arrived") == true)
        }
    }

    @Test func scenarioSeedsDeterministicAccounts() async throws {
        let sim = CloudflareSimulator()
        let scenario = SimulatorScenario(
            accounts: 3, connectorsPerAccount: 4, accountsPerToken: 2, statuses: ["verified", "pending"])
        let accounts = scenario.seed(sim)
        #expect(accounts.map(\.id) == (0..<3).map(SimulatorScenario.accountID))
        #expect(Set(accounts.map(\.id)).count == 3 && accounts.allSatisfy { $0.id.count == 32 })
        #expect(accounts[0].token == accounts[1].token && accounts[1].token != accounts[2].token)
        #expect(
            accounts
                == SimulatorScenario(accounts: 3, connectorsPerAccount: 4, accountsPerToken: 2).seed(
                    CloudflareSimulator()))
        let connectors = sim.connectors(accountID: accounts[2].id)
        #expect(connectors.map(\.id) == accounts[2].connectorIDs)
        #expect(connectors.map(\.status) == ["verified", "pending", "verified", "pending"])
        #expect(connectors.map(\.emailDomain) == accounts[2].domains)
    }
}

extension SimulatorTests {
    @Test func restartsOnANewPortAndRefusesADoubleStart() async throws {
        let sim = CloudflareSimulator(threads: 1)
        sim.addAccount(id: SimulatorFixture.account, token: SimulatorFixture.token)
        let seen = AsyncStream<RecordedRequest>.makeStream()
        sim.onRequest = { seen.continuation.yield($0) }
        try await sim.start()
        await #expect(throws: SimulatorError.alreadyRunning(server: "simulated Cloudflare API")) {
            try await sim.start()
        }
        #expect(sim.baseURL == "http://127.0.0.1:\(sim.port)/client/v4")
        try await sim.stop()
        #expect(sim.port == 0)
        try await sim.start()
        let response = try await rawRequest(
            port: sim.port, path: SimulatorFixture.connectorPath, headers: SimulatorFixture.auth)
        try await sim.stop()
        #expect(response.status == 200)
        var iterator = seen.stream.makeAsyncIterator()
        #expect(await iterator.next()?.responseStatus == 200)
    }
}
