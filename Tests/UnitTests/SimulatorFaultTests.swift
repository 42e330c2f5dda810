import Foundation
import SSOWatchSimulator
import Testing

extension SimulatorTests {
    @Suite struct Faults {
        typealias F = SimulatorFixture

        private func get(_ sim: CloudflareSimulator, account: String = SimulatorFixture.account) async throws
            -> RawResponse
        {
            let token = account == F.account ? F.token : F.otherToken
            return try await rawRequest(
                port: sim.port, path: "/client/v4/accounts/\(account)/sso_connectors",
                headers: [("Authorization", "Bearer \(token)")])
        }

        @Test func httpStatusFaultSendsTheGivenResponseThenNormalAnswersResume() async throws {
            try await withSimulator { sim in
                sim.injectFault(.httpStatus(503, body: "{\"oops\":1}", headers: [("X-Test", "yes")]), times: 2)
                for _ in 0..<2 {
                    let response = try await get(sim)
                    #expect(response.status == 503)
                    #expect(response.body == "{\"oops\":1}")
                    #expect(response.header("X-Test") == "yes")
                    #expect(response.header("Ratelimit") != nil)
                }
                #expect(try await get(sim).status == 200)
                #expect(sim.pendingFaults == 0)
            }
        }

        @Test func htmlErrorLooksLikeCloudflaresEdgePage() async throws {
            try await withSimulator { sim in
                sim.injectFault(.htmlError(502))
                let response = try await get(sim)
                #expect(response.status == 502)
                #expect(response.header("Content-Type") == "text/html")
                #expect(response.body.contains("<title>502 Bad Gateway</title>"))
                #expect(response.json == nil)
            }
        }

        @Test(arguments: [Optional(7), nil])
        func rateLimitedFaultAnswers429WithCode971(retryAfter: Int?) async throws {
            try await withSimulator { sim in
                sim.injectFault(.rateLimited(retryAfter: retryAfter))
                let response = try await get(sim)
                #expect(response.status == 429)
                #expect(response.header("Retry-After") == retryAfter.map(String.init))
                #expect(
                    response.body == #"{"success":false,"errors":[{"code":971,"message":"Please wait and "#
                        + #"consider throttling your request speed"}],"messages":[],"result":null}"#)
            }
        }

        @Test func slowFaultDelaysANormalAnswer() async throws {
            try await withSimulator { sim in
                sim.injectFault(.slow(seconds: 0.3))
                let start = ContinuousClock.now
                let response = try await get(sim)
                #expect(ContinuousClock.now - start >= .milliseconds(290))
                #expect(response.status == 200)
                #expect(response.json?["success"] as? Bool == true)
            }
        }

        @Test func malformedJSONIsCutOff() async throws {
            try await withSimulator { sim in
                sim.injectFault(.malformedJSON)
                let response = try await get(sim)
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "application/json")
                #expect(response.json == nil)
                #expect(response.body.hasPrefix("{\"success\":true"))
            }
        }

        @Test(arguments: [200, 400])
        func successFalseFaultIsAWellFormedFailure(status: Int) async throws {
            try await withSimulator { sim in
                sim.injectFault(.successFalse(code: 9109, message: "Invalid access token", status: status))
                let response = try await get(sim)
                #expect(response.status == status)
                #expect(response.json?["success"] as? Bool == false)
                #expect(response.errorCodes == [9109])
            }
        }

        @Test func dropConnectionClosesWithoutAnswering() async throws {
            try await withSimulator { sim in
                sim.injectFault(.dropConnection)
                await #expect(throws: RawHTTPError.closedBeforeResponse) { try await get(sim) }
                #expect(sim.requests.first?.responseStatus == nil)
                let next = try await get(sim)
                #expect(next.status == 200)
            }
        }

        @Test func notEnvelopeIsJSONWithoutSuccess() async throws {
            try await withSimulator { sim in
                sim.injectFault(.notEnvelope)
                let response = try await get(sim)
                #expect(response.status == 200)
                let json = try #require(response.json)
                #expect(json["success"] == nil && json["result"] == nil)
            }
        }

        @Test func scopedFaultsHitOnlyTheirAccountAndClearFaultsRemovesThem() async throws {
            try await withSimulator { sim in
                sim.injectFault(.htmlError(500), times: 3, accountID: F.otherAccount)
                let unaffected = try await get(sim)
                let faulty = try await get(sim, account: F.otherAccount)
                #expect(unaffected.status == 200 && faulty.status == 500)
                #expect(sim.pendingFaults == 2)
                sim.clearFaults()
                let cleared = try await get(sim, account: F.otherAccount)
                #expect(cleared.status == 200)
            }
        }

        @Test func faultsAreConsumedInOrder() async throws {
            try await withSimulator { sim in
                sim.injectFault(.htmlError(502))
                sim.injectFault(.rateLimited(retryAfter: 1))
                sim.injectFault(.successFalse(code: 10000, message: "Authentication error", status: 403))
                var statuses: [Int] = []
                for _ in 0..<4 { statuses.append(try await get(sim).status) }
                #expect(statuses == [502, 429, 403, 200])
            }
        }
    }
}
