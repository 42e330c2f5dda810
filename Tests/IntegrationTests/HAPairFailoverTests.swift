import Foundation
import SSOWatchSimulator
import SSOWatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Takeovers of an active/passive pair (docs/HA.md): the leader SIGKILLed at random moments while statuses
/// flip, and its leadership session cut while a delivery is on the wire. Every transition is delivered, none
/// under two ids, none twice except the allowed redelivery with the same `webhook-id`; the takeover times and
/// duplicates are printed for the record.
@Suite(.serialized) struct HAPairFailoverTests {
    /// The statuses each connector cycles through: every step is a transition with an event.
    static let cycle = ["pending", "verified", "failed"]

    /// Per transition ("ID from→to"), how many distinct webhook-ids announced it in a 2xx-answered delivery.
    static func announced(_ requests: [RecordedRequest]) -> [String: Int] {
        var ids: [String: Set<String>] = [:]
        for request in requests where request.responseStatus.map({ (200..<300).contains($0) }) ?? false {
            guard let delivery = try? GenericDelivery(request), let id = delivery.webhookID else { continue }
            ids[AnnouncedTransition(delivery).description, default: []].insert(id)
        }
        return ids.mapValues(\.count)
    }

    @Test func killingTheLeaderLosesAndDoublesNothing() async throws {
        let domains = ["one.example.com", "two.example.com", "three.example.com"]
        try await withHAPair(connectors: domains) { pair in
            let rig = pair.rig
            var random = SeededGenerator(seed: 0x5EED_15)
            // Each answer takes 0.3 s, so some kills land while a delivery is on the wire.
            rig.receiver.setDefaultResponse(WebhookReceiver.Response(status: 200, pace: .after(.milliseconds(300))))
            var instances = [try pair.start(), try pair.start()]
            defer { for instance in instances { instance.signal(SIGKILL) } }
            _ = try await pair.waitForLeader(among: instances)
            try await rig.waitForStatus(containing: "3 pending")
            var expected: [String] = []
            var takeovers: [Double] = []
            var step = 0
            for round in 1...12 {
                let leader = try await pair.waitForLeader(among: instances)
                step += 1
                for id in rig.connectorIDs {
                    let from = Self.cycle[(step - 1) % Self.cycle.count]
                    let to = Self.cycle[step % Self.cycle.count]
                    rig.set(.prod, id, to)
                    expected.append("\(id) \(from)→\(to)")
                }
                // A random moment: before the leader's next poll, between its poll and its deliveries, or
                // while they are on the wire.
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...1500, using: &random)))
                let killedAt = ContinuousClock.now
                let requestsBefore = rig.apiRequests.value.count
                leader.signal(SIGKILL)
                _ = try await leader.waitForExit(timeout: .seconds(10))
                instances.removeAll { $0.pid == leader.pid }
                // The standby takes over; only then is the next standby started, so that the time measured is
                // the standby's, not that of a fresh instance's first try.
                try await rig.waitForAPIRequests("a poll by the new leader (round \(round))", timeout: .seconds(20)) {
                    $0.count > requestsBefore
                }
                takeovers.append(Double((ContinuousClock.now - killedAt) / .milliseconds(1)) / 1000)
                instances.append(try pair.start())
                // Each transition is announced once per occurrence: the same description recurs every three
                // rounds, so occurrences are counted by their distinct webhook-ids.
                let wanted = Dictionary(expected.map { ($0, 1) }, uniquingKeysWith: +)
                _ = try await rig.deliveries.wait(
                    for: "every transition so far delivered (round \(round))", timeout: .seconds(30),
                    detail: { "\(Self.announced($0).filter { wanted[$0.key] != $0.value }) of \(wanted)" }
                ) { requests in
                    let announced = Self.announced(requests)
                    return wanted.allSatisfy { announced[$0.key, default: 0] >= $0.value }
                }
            }
            for instance in instances { _ = try await instance.killAndReap() }
            // One row; at least one new epoch per takeover (a lease that lapsed under load adds more).
            let epochs = try await pair.server.psql("SELECT count(*) = 1 AND max(epoch) >= 13 FROM ssowatch_epoch")
            #expect(epochs == "t", "one epoch row, a new epoch for each of the 13 leadership terms")
            let deliveries = try rig.received(DaemonRig.genericPath).filter {
                $0.responseStatus.map { (200..<300).contains($0) } ?? false
            }.map(GenericDelivery.init)
            var byID: [String: Int] = [:]
            var idsByTransition: [AnnouncedTransition: Set<String>] = [:]
            for delivery in deliveries {
                let id = try #require(delivery.webhookID)
                byID[id, default: 0] += 1
                idsByTransition[AnnouncedTransition(delivery), default: []].insert(id)
            }
            let duplicates = byID.filter { $0.value > 1 }.sorted { $0.key < $1.key }
            let sorted = takeovers.sorted()
            print(
                "HA failover: \(takeovers.count) SIGKILLs of the leader; takeover (kill → first poll of the new "
                    + "leader) min \(String(format: "%.2f", sorted.first ?? 0)) s, median "
                    + "\(String(format: "%.2f", sorted[sorted.count / 2])) s, max "
                    + "\(String(format: "%.2f", sorted.last ?? 0)) s; \(deliveries.count) deliveries of "
                    + "\(expected.count) transitions; duplicates (same webhook-id): "
                    + (duplicates.isEmpty
                        ? "none" : duplicates.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")))
            #expect(takeovers.count >= 10)
            #expect(sorted.last ?? 0 <= 15, "a takeover took longer than 15 s: \(sorted)")
            #expect(duplicates.allSatisfy { $0.value <= 2 }, "an event was delivered more than twice: \(duplicates)")
            let underTwoIDs = idsByTransition.filter { $0.value.count > 1 }
            #expect(underTwoIDs.isEmpty, "transitions announced under two ids: \(underTwoIDs)")
            let wanted = Dictionary(expected.map { ($0, 1) }, uniquingKeysWith: +)
            #expect(
                Self.announced(rig.received(DaemonRig.genericPath)) == wanted,
                "each transition announced exactly once (by webhook-id), none lost")
        }
    }

    @Test func cuttingTheLeadersSessionStopsItsDeliveries() async throws {
        try await withHAPair(connectors: ["slow.example.com", "next.example.com"]) { pair in
            let rig = pair.rig
            let first = try pair.start()
            try await first.reaped { first in
                _ = try await pair.waitForLeader(among: [first])
                try await rig.waitForStatus(containing: "2 pending")
                // The first delivery takes 4 s to answer; the others are answered at once.
                rig.receiver.enqueue(WebhookReceiver.Response(status: 200, pace: .after(.seconds(4))))
                rig.set(.prod, rig.connectorIDs[0], "verified")
                rig.set(.prod, rig.connectorIDs[1], "verified")
                let second = try pair.start()
                try await second.reaped { second in
                    try await rig.waitForStatus(containing: "standby: leader is ")
                    _ = try await rig.deliveries.wait(for: "the slow delivery on the wire", timeout: .seconds(20)) {
                        !$0.isEmpty
                    }
                    let (first32, second32) = (0x7373_6f77, 0x6174_6368)
                    let cut = try await pair.server.psql(
                        """
                        SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted
                        AND classid = \(first32)::oid AND objid = \(second32)::oid AND objsubid = 2
                        """)
                    #expect(cut == "1", "the leadership session was found and cut")
                    let leader = try await pair.waitForLeader(among: [first, second], timeout: .seconds(20))
                    _ = try await rig.deliveries.wait(for: "both events delivered", timeout: .seconds(30)) { requests in
                        Set(requests.compactMap { $0.header("webhook-id") }).count >= 2
                    }
                    // Give a deposed leader time to do what it must not.
                    try await Task.sleep(for: .seconds(5))
                    var byID: [String: Int] = [:]
                    for request in rig.received(DaemonRig.genericPath) {
                        byID[request.header("webhook-id") ?? "?", default: 0] += 1
                    }
                    print(
                        "HA session cut: new leader pid \(leader.pid) (was \(first.pid)); deliveries by webhook-id: "
                            + byID.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
                    #expect(byID.count == 2, "two events, each under one id: \(byID)")
                    #expect(byID.values.allSatisfy { $0 <= 2 }, "redelivered at most once: \(byID)")
                    #expect(byID.values.filter { $0 == 2 }.count <= 1, "only the one on the wire may repeat: \(byID)")
                    #expect(first.isRunning && second.isRunning)
                }
            }
        }
    }
}
