import SSOWatchDNS
import Testing

/// The announcement rules of docs/DNS.md, fed literal sequences of results.
@Suite struct DNSEpisodeTests {
    /// Feeds `results` (all with `status`) and returns what each one announced.
    private func run(
        _ results: [DNSCheckResult.Result], status: DNSEpisode.Status, from episode: DNSEpisode = DNSEpisode()
    ) -> [DNSEpisode.Event?] {
        var episode = episode
        return results.map { episode.record($0, status: status) }
    }

    @Test func missingIsAnnouncedAfterTwoConclusiveChecksOncePerEpisode() {
        #expect(run([.missing, .missing, .missing, .nearMiss], status: .pending) == [nil, .dnsMissing, nil, nil])
        #expect(run([.nearMiss, .missing], status: .awaiting) == [nil, .dnsMissing])
    }

    @Test func inconclusiveNeitherCountsNorBreaksTheStreak() {
        #expect(run([.missing, .inconclusive, .missing], status: .pending) == [nil, nil, .dnsMissing])
        #expect(run([.missing, .inconclusive, .inconclusive], status: .pending) == [nil, nil, nil])
    }

    @Test func partialBreaksTheStreak() {
        #expect(run([.missing, .partial, .missing, .missing], status: .pending) == [nil, nil, nil, .dnsMissing])
    }

    @Test func failedConnectorsGetNoMissingEvent() {
        #expect(run([.missing, .missing, .missing], status: .failed) == [nil, nil, nil])
    }

    @Test func foundWhenTheRecordAppearsAfterAConclusiveNonPresentResult() {
        #expect(run([.missing, .present], status: .awaiting) == [nil, .dnsFound])
        #expect(run([.nearMiss, .inconclusive, .present], status: .failed) == [nil, nil, .dnsFound])
        #expect(run([.partial, .present], status: .pending) == [nil, .dnsFound])
    }

    @Test func presentInconclusivePresentIsSilent() {
        #expect(run([.present, .inconclusive, .present, .present], status: .pending) == [nil, nil, nil, nil])
    }

    @Test func firstSightOfAPresentRecordIsSilent() {
        #expect(run([.present], status: .pending) == [nil])
        #expect(run([.inconclusive, .present], status: .pending) == [nil, nil])
    }

    @Test func presentEndsTheEpisodeSoMissingCanBeAnnouncedAgain() {
        #expect(
            run([.missing, .missing, .present, .missing, .missing], status: .pending)
                == [nil, .dnsMissing, .dnsFound, nil, .dnsMissing])
    }

    @Test func aStatusChangeEndsTheEpisode() {
        var episode = DNSEpisode()
        #expect(episode.record(.missing, status: .awaiting) == nil)
        #expect(episode.record(.missing, status: .awaiting) == .dnsMissing)
        // awaiting → pending: a new episode, the count starts again, and it may be announced again.
        #expect(episode.record(.missing, status: .pending) == nil)
        #expect(episode.record(.missing, status: .pending) == .dnsMissing)
        episode.observe(status: .failed)
        #expect(episode.consecutiveMissing == 0 && !episode.missingAnnounced)
        // The last conclusive result survives the change: publishing now announces dns_found.
        #expect(episode.record(.present, status: .failed) == .dnsFound)
    }

    @Test func verifiedConnectorsAnnounceNothing() {
        #expect(run([.missing, .missing, .present], status: .verified) == [nil, nil, nil])
    }

    @Test func restoredStateContinues() {
        let restored = DNSEpisode(
            status: .pending, lastConclusive: .missing, consecutiveMissing: 1, missingAnnounced: false)
        #expect(run([.missing], status: .pending, from: restored) == [.dnsMissing])
    }
}
