import Foundation
import SSOWatchSimulator
import Testing

extension SimulatorTests {
    /// The simulated API refuses what Cloudflare refuses, with Cloudflare's statuses and codes.
    @Suite struct Errors {
        typealias F = SimulatorFixture

        @Test(arguments: [
            ("Bearer wrong-token", SimulatorFixture.connectorPath),
            ("Bearer \(SimulatorFixture.otherToken)", SimulatorFixture.connectorPath),
            ("Bearer \(SimulatorFixture.token)", "/client/v4/accounts/ffffffffffffffffffffffffffffffff/sso_connectors"),
        ])
        func tokensThatDoNotServeTheAccountAreForbidden(authorization: String, path: String) async throws {
            try await withSimulator { sim in
                let response = try await rawRequest(
                    port: sim.port, path: path, headers: [("Authorization", authorization)])
                #expect(response.status == 403)
                #expect(
                    response.body == #"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"#
                        + #""messages":[],"result":null}"#)
            }
        }

        @Test(arguments: [nil, "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer two words"])
        func malformedAuthorizationIsABadRequestWithErrorChain(authorization: String?) async throws {
            try await withSimulator { sim in
                let headers = authorization.map { [("Authorization", $0)] } ?? []
                let response = try await rawRequest(port: sim.port, path: F.connectorPath, headers: headers)
                #expect(response.status == 400)
                let error = try #require((response.json?["errors"] as? [[String: Any]])?.first)
                #expect(error["code"] as? Int == 6003)
                #expect(error["message"] as? String == "Invalid request headers")
                let chain = try #require(error["error_chain"] as? [[String: Any]])
                #expect(chain.first?["code"] as? Int == 6111)
                #expect(chain.first?["message"] as? String == "Invalid format for Authorization header")
            }
        }

        @Test(arguments: [
            "/client/v4/accounts/not-an-id/sso_connectors",
            "/client/v4/accounts/\(SimulatorFixture.account)/sso_connectors/1234",
            "/client/v4/accounts/\(SimulatorFixture.account)/sso_connectors/\(String(repeating: "z", count: 32))/begin_verification",
        ])
        func invalidIdentifiersCannotBeRouted(path: String) async throws {
            try await withSimulator { sim in
                let response = try await rawRequest(port: sim.port, path: path, headers: F.auth)
                #expect(response.status == 400)
                #expect(response.errorCodes == [7003, 7000])
            }
        }

        @Test func unknownRoutesAndWrongMethodsAreRefused() async throws {
            try await withSimulator { sim in
                let unknown = try await rawRequest(
                    port: sim.port, path: "/client/v4/user/tokens/verify", headers: F.auth)
                #expect(unknown.status == 404)
                #expect(unknown.errorCodes == [7003])
                #expect(unknown.json?["success"] as? Bool == false)
                let wrongMethod = try await rawRequest(
                    port: sim.port, method: "PUT", path: F.connectorPath, headers: F.auth)
                #expect(wrongMethod.status == 405)
                #expect(wrongMethod.errorCodes == [SimulatedErrorCode.methodNotAllowed.rawValue])
            }
        }

        @Test(arguments: [
            ("POST", "{not json", "malformed JSON"),
            ("POST", "[]", "expected a JSON object"),
            ("POST", "{}", "email_domain is required"),
            ("POST", #"{"email_domain":42}"#, "email_domain must be a string"),
            (
                "POST", #"{"email_domain":"a.example","begin_verification":"true"}"#,
                "begin_verification must be a boolean"
            ),
            ("PATCH", #"{"enabled":"yes"}"#, "enabled must be a boolean"),
            ("PATCH", #"{"use_fedramp_language":1}"#, "use_fedramp_language must be a boolean"),
        ])
        func invalidBodiesAreBadRequests(method: String, body: String, message: String) async throws {
            try await withSimulator { sim in
                let id = sim.addConnector(accountID: F.account, domain: "example.com")
                let path = method == "POST" ? F.connectorPath : "\(F.connectorPath)/\(id)"
                let response = try await rawRequest(
                    port: sim.port, method: method, path: path, headers: F.jsonAuth, body: body)
                #expect(response.status == 400)
                #expect(response.errorCodes == [SimulatedErrorCode.invalidRequestBody.rawValue])
                let text = (response.json?["errors"] as? [[String: Any]])?.first?["message"] as? String
                #expect(text?.contains(message) == true, "\(text ?? "nil")")
            }
        }
    }
}
