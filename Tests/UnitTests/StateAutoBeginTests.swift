import Foundation
import Testing

@testable import SSOWatchModel
@testable import SSOWatchState

/// Verification assistance's part of the state file (docs/STATE.md): a connector's `auto_begin` record and
/// a `verification_started` event's `assist` survive a write and a read, and files without them still read.
@Suite struct StateAutoBeginTests {
    static let t0 = Date(timeIntervalSinceReferenceDate: 817_464_600)
    static let accountID = "023e105f4ecef8ad9ca31a8372d0c353"

    static func document(record: AutoBeginRecord?, report: AutoBeginReport?) -> StateDocument {
        var connector = ConnectorState(
            id: "c1", emailDomain: "example.com", status: .failed, rawStatus: "failed", statusSince: t0,
            lastSeen: t0, verificationCode: "cloudflare_dashboard_sso=1")
        connector.autoBegin = record
        var account = AccountState(accountID: accountID, name: "prod", baselineDone: true)
        account.connectors["c1"] = connector
        var document = StateDocument()
        document.accounts[accountID] = account
        let event = ConnectorEvent(
            kind: .verificationStarted, detectedAt: t0, accountName: "prod", accountID: accountID,
            connectorID: "c1", emailDomain: "example.com", enabled: false, status: "failed", previousStatus: nil,
            previousStatusSince: nil, verificationCode: "cloudflare_dashboard_sso=1", assist: report)
        document.enqueue([OutboxEntry(event: event, webhook: "ops", enqueuedAt: t0)])
        return document
    }

    @Test(arguments: [
        AutoBeginReport(mode: .on, outcome: .called, httpStatus: 200, readBackStatus: "pending"),
        AutoBeginReport(mode: .on, outcome: .refused, httpStatus: 403, cloudflareError: "10000 Authentication error"),
        AutoBeginReport(mode: .on, outcome: .error, cloudflareError: "no response within 30s"),
        AutoBeginReport(mode: .dryRun, outcome: .wouldCall),
    ])
    func theRecordAndTheReportSurviveAWriteAndARead(_ report: AutoBeginReport) throws {
        let record = AutoBeginRecord(
            episode: Self.t0, presentSince: Self.t0.addingTimeInterval(60), lastCall: Self.t0.addingTimeInterval(660),
            accepted: report.outcome == .called, announced: [report.outcome, .error],
            latest: AutoBeginAttempt(
                mode: report.mode, outcome: report.outcome, at: Self.t0.addingTimeInterval(661),
                detail: "a \"quoted\" detail"))
        let document = Self.document(record: record, report: report)
        let bytes = StateCoding.encode(document)
        let read = try StateCoding.decode(bytes)
        #expect(read.accounts[Self.accountID]?.connectors["c1"]?.autoBegin == record)
        #expect(read.outbox.first?.event.assist == report)
        #expect(read.outbox.first?.event.kind == .verificationStarted)
        #expect(read == document)
        // Sorted keys, as everywhere in the file, and JSON any reader can parse.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"{"auto_begin":{"accepted":"#), "\(text)")
        #expect(text.contains(#","account_name":"prod","assist":{"#), "\(text)")
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes))) != nil)
    }

    @Test func aDNSFoundEventKeepsTheModeItsMessageMentions() throws {
        var document = StateDocument()
        let event = ConnectorEvent(
            kind: .dnsFound, detectedAt: Self.t0, accountName: "prod", accountID: Self.accountID, connectorID: "c1",
            emailDomain: "example.com", enabled: false, status: "failed", previousStatus: nil,
            previousStatusSince: nil, verificationCode: "cloudflare_dashboard_sso=1", autoBegin: .on)
        document.enqueue([OutboxEntry(event: event, webhook: "ops", enqueuedAt: Self.t0)])
        let bytes = StateCoding.encode(document)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""auto_begin":"on""#))
        #expect(try StateCoding.decode(bytes).outbox.first?.event.autoBegin == .on)
    }

    @Test func aFileWrittenBeforeAssistanceExistedStillReads() throws {
        let bytes = StateCoding.encode(Self.document(record: nil, report: nil))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("auto_begin") && !text.contains("assist"))
        let read = try StateCoding.decode(bytes)
        #expect(read.accounts[Self.accountID]?.connectors["c1"]?.autoBegin == nil)
        #expect(read.outbox.first?.event.assist == nil)
    }

    @Test func anUnknownOutcomeIsAnErrorThatSaysWhat() throws {
        let report = AutoBeginReport(mode: .on, outcome: .called, httpStatus: 200)
        let text = String(decoding: StateCoding.encode(Self.document(record: nil, report: report)), as: UTF8.self)
            .replacingOccurrences(of: #""outcome":"called""#, with: #""outcome":"maybe""#)
        #expect(throws: (any Error).self) { try StateCoding.decode(Array(text.utf8)) }
        do {
            _ = try StateCoding.decode(Array(text.utf8))
        } catch {
            #expect("\(error)".contains("unknown auto_begin outcome \"maybe\""), "\(error)")
        }
    }
}
