import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchSimulator
import SSOWatchState
import Testing

/// Defensive decoding of the list and connector answers: what is tolerated, skipped or refused.
@Suite struct CloudflareClientDecodingTests: SimulatedClientSuite {
    @Test func unknownFieldsUnknownStatusesAndWrongTypesAreTolerated() async throws {
        try await withClient { sim, client in
            let odd = sim.addConnector(accountID: F.account, domain: "odd.example.com")
            let wrong = sim.addConnector(accountID: F.account, domain: "wrong.example.com")
            let bare = sim.addConnector(accountID: F.account, domain: "bare.example.com")
            let normal = sim.addConnector(accountID: F.account, domain: "normal.example.com", status: "verified")
            sim.setRawConnectorJSON(
                accountID: F.account, connectorID: odd,
                json: """
                    {"id":"\(odd)","email_domain":"odd.example.com","enabled":1,"use_fedramp_language":"yes",\
                    "created_on":"2025-01-01T12:21:02.0000Z","brand_new":{"nested":[1,"two",null]},\
                    "verification":{"code":"cloudflare_dashboard_sso=\(odd)","status":"revoked","since":3}}
                    """)
            sim.setRawConnectorJSON(
                accountID: F.account, connectorID: wrong,
                json: #"{"id":5,"email_domain":["wrong.example.com"],"enabled":"true","verification":"pending"}"#)
            sim.setRawConnectorJSON(accountID: F.account, connectorID: bare, json: "{}")

            let list = try await client.listConnectors(accountID: F.account)

            #expect(list.warnings.isEmpty)
            try #require(list.connectors.count == 4)
            let first = list.connectors[0]
            #expect(first.id == odd)
            #expect(first.emailDomain == "odd.example.com")
            #expect(first.enabled == nil, "1 is not a boolean")
            #expect(first.useFedrampLanguage == nil)
            #expect(first.rawStatus == "revoked")
            #expect(first.status == nil)
            #expect(first.displayStatus == "revoked")
            #expect(first.createdOn == "2025-01-01T12:21:02.0000Z")
            #expect(first.verificationCode == "cloudflare_dashboard_sso=\(odd)")
            #expect(list.connectors[1] == Connector(id: nil))
            #expect(list.connectors[1].displayStatus == "unknown")
            #expect(list.connectors[2] == Connector(id: nil))
            #expect(list.connectors[3].id == normal)
            #expect(list.connectors[3].status == .verified)
            #expect(list.rawResult.contains("brand_new"), "--json shows what Cloudflare sent")
        }
    }

    @Test func aMissingStatusIsShownAsUnknown() async throws {
        try await withClient { sim, client in
            let id = sim.addConnector(accountID: F.account, domain: "nostatus.example.com", status: nil)
            let response = try await client.getConnector(accountID: F.account, connectorID: id)
            #expect(response.connector.rawStatus == nil)
            #expect(response.connector.status == nil)
            #expect(response.connector.displayStatus == "unknown")
            #expect(response.connector.verificationCode == "cloudflare_dashboard_sso=\(id)")
        }
    }

    @Test func listEntriesThatAreNotObjectsAreSkippedWithAWarning() async throws {
        try await withClient { sim, client in
            let kept = sim.addConnector(accountID: F.account, domain: "kept.example.com")
            for (index, json) in ["\"a string\"", "null", "42", "[1]"].enumerated() {
                let id = sim.addConnector(accountID: F.account, domain: "junk\(index).example.com")
                sim.setRawConnectorJSON(accountID: F.account, connectorID: id, json: json)
            }

            let list = try await client.listConnectors(accountID: F.account)

            #expect(list.connectors.map(\.id) == [kept])
            #expect(list.warnings.count == 4)
            #expect(list.warnings.allSatisfy { $0.contains("not an object") })
        }
    }

    @Test func aTotalCountLargerThanTheListIsAWarning() async throws {
        try await withClient { sim, client in
            sim.addConnector(accountID: F.account, domain: "only.example.com")
            sim.setReportedTotalCount(accountID: F.account, 50)

            let list = try await client.listConnectors(accountID: F.account)

            #expect(list.connectors.count == 1)
            #expect(list.totalCount == 50)
            #expect(list.warnings.count == 1)
            #expect(list.warnings.first?.contains("50") == true)
            #expect(list.warnings.first?.contains("returned 1") == true)
            #expect(sim.requests.count == 1, "no second page is requested")
        }
    }

    @Test func aResultThatIsNotAnArrayIsUndecodable() async throws {
        try await withClient { sim, client in
            sim.injectFault(.httpStatus(200, body: #"{"success":true,"errors":[],"messages":[],"result":{"id":"x"}}"#))
            let error = try await listError(client)
            #expect(error.kind == .undecodable("`result` is not an array of connectors"))
        }
    }
}
