import Foundation
import Testing

@testable import SSOWatchDNS
@testable import SSOWatchModel
@testable import SSOWatchState

/// The DNS check's part of the state file (docs/STATE.md): a connector's `dns` and `dns_episode` and an
/// event's `dns` survive a write and a read, in sorted keys, and a file without them still reads.
@Suite struct StateDNSTests {
    static let t0 = Date(timeIntervalSinceReferenceDate: 817_464_600)

    static func document() -> StateDocument {
        let check = DNSRecordCheck(
            result: .nearMiss, detail: "not found; ns1.example.net has \"cloudflared_dashboard_sso=1\"",
            nameservers: ["ns1.example.net", "ns2.example.net"], agreeing: 0, checked: t0)
        var connector = ConnectorState(
            id: "c1", emailDomain: "example.com", status: .pending, rawStatus: "pending", statusSince: t0,
            lastSeen: t0, verificationCode: "cloudflare_dashboard_sso=1")
        connector.dns = check
        connector.dnsEpisode = DNSEpisode(
            status: .pending, lastConclusive: .nearMiss, consecutiveMissing: 2, missingAnnounced: true)
        var account = AccountState(accountID: "023e105f4ecef8ad9ca31a8372d0c353", name: "prod")
        account.baselineDone = true
        account.connectors["c1"] = connector
        var document = StateDocument()
        document.accounts[account.accountID] = account
        let event = ConnectorEvent(
            kind: .dnsMissing, detectedAt: t0, accountName: "prod", accountID: account.accountID, connectorID: "c1",
            emailDomain: "example.com", enabled: false, status: "pending", previousStatus: nil,
            previousStatusSince: nil, verificationCode: "cloudflare_dashboard_sso=1", dns: check)
        document.enqueue([OutboxEntry(event: event, webhook: "ops", enqueuedAt: t0)])
        return document
    }

    @Test func theChecksAndTheEpisodeSurviveAWriteAndARead() throws {
        let document = Self.document()
        let bytes = StateCoding.encode(document)
        let read = try StateCoding.decode(bytes)
        let connector = try #require(read.accounts["023e105f4ecef8ad9ca31a8372d0c353"]?.connectors["c1"])
        #expect(connector.dns == document.accounts.values.first?.connectors["c1"]?.dns)
        #expect(connector.dnsEpisode?.consecutiveMissing == 2 && connector.dnsEpisode?.missingAnnounced == true)
        #expect(connector.dnsEpisode?.lastConclusive == .nearMiss && connector.dnsEpisode?.status == .pending)
        #expect(read.outbox.first?.event.dns?.result == .nearMiss)
        #expect(read.outbox.first?.event.kind == .dnsMissing)
        // Sorted keys, as everywhere in the file; JSONSerialization (the oracle) reads the same values.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"{"dns":{"agreeing":0,"checked":817464600,"detail":"#), "\(text)")
        #expect(text.contains(#""dns_episode":{"consecutive_missing":2,"last_conclusive":"near_miss","#), "\(text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let accounts = try #require(object["accounts"] as? [String: [String: Any]])
        let connectors = try #require(accounts.values.first?["connectors"] as? [String: [String: Any]])
        let dns = try #require(connectors["c1"]?["dns"] as? [String: Any])
        #expect(dns["result"] as? String == "near_miss")
        #expect(dns["nameservers"] as? [String] == ["ns1.example.net", "ns2.example.net"])
    }

    @Test func anUnknownResultIsAnErrorThatSaysWhere() throws {
        let text = String(decoding: StateCoding.encode(Self.document()), as: UTF8.self)
            .replacingOccurrences(of: #""result":"near_miss""#, with: #""result":"mostly""#)
        #expect(throws: StateDecodingError.self) { try StateCoding.decode(Array(text.utf8)) }
        do {
            _ = try StateCoding.decode(Array(text.utf8))
        } catch {
            #expect("\(error)".contains("unknown DNS result \"mostly\""), "\(error)")
        }
    }
}
