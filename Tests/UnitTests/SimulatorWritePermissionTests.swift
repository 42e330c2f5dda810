import Foundation
import SSOWatchSimulator
import Testing

extension SimulatorTests {
    /// A token the simulator lets read but not write, as one without "SSO Connector Write": its
    /// `begin_verification` gets Cloudflare's 403 and changes nothing, its reads still work, and the control
    /// API sets it and lists the calls with the token each carried.
    @Suite struct WritePermission {
        typealias F = SimulatorFixture

        @Test func aReadOnlyTokenReadsButCannotBeginVerification() async throws {
            try await withSimulator { sim in
                let id = sim.addConnector(accountID: F.account, domain: "example.com", status: "failed")
                sim.setReadOnly(F.token)
                let path = "\(F.connectorPath)/\(id)/begin_verification"
                let refused = try await rawRequest(port: sim.port, method: "POST", path: path, headers: F.auth)
                #expect(refused.status == 403)
                #expect(refused.errorCodes == [10000])
                let read = try await rawRequest(port: sim.port, path: "\(F.connectorPath)/\(id)", headers: F.auth)
                #expect(read.status == 200)
                #expect(read.body.contains(#""status":"failed""#), "the refused call changed nothing")

                sim.setReadOnly(F.token, false)
                let accepted = try await rawRequest(port: sim.port, method: "POST", path: path, headers: F.auth)
                #expect(accepted.status == 200)
                let after = try await rawRequest(port: sim.port, path: "\(F.connectorPath)/\(id)", headers: F.auth)
                #expect(after.body.contains(#""status":"pending""#))
            }
        }

        @Test func theControlAPISetsReadOnlyAndListsTheCallsWithTheirTokens() async throws {
            try await withSimulator { sim in
                try await withReceiver { receiver in
                    SimulatorControl(simulator: sim, receiver: receiver).install()
                    let id = sim.addConnector(accountID: F.account, domain: "example.com", status: "awaiting")
                    let set = try await rawRequest(
                        port: sim.port, method: "POST", path: "/__sim/read-only", headers: [],
                        body: #"{"token":"\#(F.token)","read_only":true}"#)
                    #expect(set.status == 200)
                    let path = "\(F.connectorPath)/\(id)/begin_verification"
                    _ = try await rawRequest(port: sim.port, method: "POST", path: path, headers: F.auth)
                    let calls = try await rawRequest(port: sim.port, path: "/__sim/begin-verifications", headers: [])
                    let list = try #require(calls.json?["calls"] as? [[String: Any]])
                    #expect(list.count == 1)
                    #expect(list.first?["token"] as? String == F.token)
                    #expect(list.first?["connector"] as? String == id)
                    #expect(list.first?["status"] as? Int == 403)
                }
            }
        }
    }
}
