import Foundation
import Testing

@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchState

/// `status` shows a connector's latest verification-assistance attempt (docs/COMMANDS.md): `auto_begin` in
/// the JSON, a "Verification assistance" section in the text with failures in capitals.
@Suite struct StatusAutoBeginTests {
    static let now = Date(timeIntervalSince1970: 1_795_947_300)

    static func state(_ attempt: AutoBeginAttempt) -> StateDocument {
        var connector = ConnectorState(
            id: "7d1f", emailDomain: "example.com", status: .failed, rawStatus: "failed",
            statusSince: now.addingTimeInterval(-3600), lastSeen: now)
        connector.autoBegin = AutoBeginRecord(latest: attempt)
        var account = AccountState(accountID: "023e105f4ecef8ad9ca31a8372d0c353", name: "prod", baselineDone: true)
        account.connectors[connector.id] = connector
        return StateDocument(accounts: [account.accountID: account])
    }

    @Test func theLatestAttemptIsInTheJSONAndTheText() throws {
        let attempt = AutoBeginAttempt(
            mode: .on, outcome: .refused, at: Self.now.addingTimeInterval(-300),
            detail: "Cloudflare refused begin_verification with the write token (HTTP 403)")
        let state = Self.state(attempt)
        let json = StatusReport.json(state: state, configuration: nil, now: Self.now)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let connector = try #require((object["connectors"] as? [[String: Any]])?.first)
        let autoBegin = try #require(connector["auto_begin"] as? [String: Any])
        #expect(autoBegin["mode"] as? String == "on")
        #expect(autoBegin["outcome"] as? String == "refused")
        #expect(autoBegin["at"] as? String == "2026-11-29T10:10:00Z")
        #expect(autoBegin["detail"] as? String == attempt.detail)
        let text = StatusReport.text(state: state, configuration: nil, now: Self.now)
        #expect(text.contains("Verification assistance (auto_begin_verification):"), "\(text)")
        #expect(
            text.contains("prod example.com: on, REFUSED 2026-11-29 10:10:00 UTC (5m ago): Cloudflare refused"),
            "\(text)")
    }

    @Test func nothingIsShownBeforeTheFirstAttempt() {
        var state = Self.state(AutoBeginAttempt(mode: .dryRun, outcome: .wouldCall, at: Self.now, detail: "d"))
        state.accounts[state.accounts.keys.first!]?.connectors["7d1f"]?.autoBegin = AutoBeginRecord()
        #expect(StatusReport.json(state: state, configuration: nil, now: Self.now).contains("\"auto_begin\": null"))
        #expect(!StatusReport.text(state: state, configuration: nil, now: Self.now).contains("Verification assistance"))
    }
}
