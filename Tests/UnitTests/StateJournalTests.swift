import Foundation
import Testing

@testable import SSOWatchCloudflare
@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

/// The state file's journal: changes are appended, the next start and `ssowatch status` see them, and no
/// crash at any point of a write loses an acknowledged change or brings back an old one.
@Suite struct StateJournalTests {
    private static let other = "0123456789abcdef0123456789abcdef"

    /// A document with two baselined accounts, an outbox entry and a webhook's delivery state.
    private static func document(at time: TimeInterval = 0) -> StateDocument {
        var document = StateDocument()
        document.record(
            F.poll(nil, [F.connector("c1", "pending"), F.connector("c2", "verified")], at: F.at(time)), enqueue: [])
        var second = F.poll(nil, [F.connector("c3", "pending")], at: F.at(time), name: "staging").state
        second.accountID = other
        document.accounts[other] = second
        return document
    }

    /// `document` after a poll of the first account turns c1 verified, with its event queued for `ops`.
    private static func afterTransition(_ document: StateDocument, at time: TimeInterval) -> StateDocument {
        var next = document
        let result = F.poll(
            document.accounts[F.accountID], [F.connector("c1", "verified"), F.connector("c2", "verified")],
            at: F.at(time))
        let entries = result.events.map { OutboxEntry(event: $0, webhook: "ops", enqueuedAt: F.at(time)) }
        next.record(result, enqueue: entries)
        return next
    }

    /// A store in `directory` that wrote `document()` whole, then journaled the transition of c1.
    private static func journaledTransition(in directory: String) throws -> (
        path: String, store: JournaledStateFile, first: StateDocument, second: StateDocument
    ) {
        let path = directory + "/state.json"
        let store = JournaledStateFile(path: path)
        let first = document()
        try store.save(first, changedAccounts: nil)
        let second = afterTransition(first, at: 60)
        try store.save(second, changedAccounts: [F.accountID])
        return (path, store, first, second)
    }

    private static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private static func lines(_ path: String) throws -> [String] {
        String(decoding: try bytes(path), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func aChangeIsAppendedAndTheStateFileIsLeftAlone() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let journal = StateJournal.path(for: path)
            let store = JournaledStateFile(path: path)
            let first = Self.document()
            try store.save(first, changedAccounts: [F.accountID, Self.other])
            let stateFile = try Self.bytes(path)
            #expect(try Self.lines(journal).count == 1, "the first save writes the state file and a header")

            let second = Self.afterTransition(first, at: 60)
            try store.save(second, changedAccounts: [F.accountID])
            #expect(try Self.bytes(path) == stateFile, "the state file is not rewritten")
            let appended = try Self.lines(journal)
            #expect(appended.count == 2)
            #expect(appended[1].contains("\"accounts\":{\"\(F.accountID)\""))
            #expect(!appended[1].contains(Self.other), "only the changed account is written")
            #expect(appended[1].contains("\"outbox_added\":[{"))

            #expect(try StateFile.load(path: path).document == second)
            #expect(try StateFile.inspect(path: path) == second)
            let mode = try FileManager.default.attributesOfItem(atPath: journal)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func aSaveThatNamesNoAccountAndChangesNoOutboxWritesNothing() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let store = JournaledStateFile(path: path)
            try store.save(Self.document(), changedAccounts: [])
            let journal = try Self.bytes(StateJournal.path(for: path))
            try store.save(Self.document(), changedAccounts: [])
            #expect(try Self.bytes(StateJournal.path(for: path)) == journal)
            // A named account is written whole, whatever changed in it.
            try store.save(Self.document(), changedAccounts: [F.accountID])
            #expect(try Self.lines(StateJournal.path(for: path)).count == 2)
        }
    }

    @Test func removedAccountsWebhooksAndTheOutboxAreJournaled() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let store = JournaledStateFile(path: path)
            var document = Self.afterTransition(Self.document(), at: 60)
            try store.save(document, changedAccounts: nil)

            document.accounts[Self.other] = nil
            try store.save(document, changedAccounts: [Self.other])
            document.markDelivered(eventIDs: document.outbox.map(\.event.id), webhook: "ops", at: F.at(61))
            try store.save(document, changedAccounts: [])
            #expect(document.outbox.isEmpty)
            #expect(document.webhooks["ops"]?.lastSuccess == F.at(61))

            let loaded = try StateFile.load(path: path)
            #expect(loaded.document == document)
            #expect(loaded.report == nil)
            #expect(try Self.lines(StateJournal.path(for: path)).count == 3)
        }
    }

    @Test func aWholeSaveRewritesTheStateFileAndEmptiesTheJournal() throws {
        try F.withTemporaryDirectory { directory in
            let (path, store, _, second) = try Self.journaledTransition(in: directory)
            try store.save(second, changedAccounts: nil)
            #expect(try Self.lines(StateJournal.path(for: path)).count == 1)
            #expect(try StateJSONReader.document(Self.bytes(path)) == second, "the state file alone holds it all")
        }
    }

    @Test func theStateFileIsRewrittenOnceTheJournalIsAsLargeAsIt() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let journal = StateJournal.path(for: path)
            let store = JournaledStateFile(path: path)
            var document = Self.document()
            try store.save(document, changedAccounts: nil)
            var rewrites = 0
            var previousGeneration = try StateJSONReader.document(Self.bytes(path)).journalGeneration
            for minute in 1...2_000 {
                document.accounts[F.accountID]?.lastPoll = F.at(TimeInterval(minute * 60))
                try store.save(document, changedAccounts: [F.accountID])
                let generation = try StateJSONReader.document(Self.bytes(path)).journalGeneration
                if generation != previousGeneration { rewrites += 1 }
                previousGeneration = generation
                let size = try Self.bytes(journal).count
                #expect(size <= JournaledStateFile.minimumJournalLimit + 4096, "the journal stays bounded")
            }
            // Each line is about 1 KB: 2,000 of them fill the 1 MiB limit about twice.
            #expect((1...3).contains(rewrites), "\(rewrites) rewrites")
            #expect(try StateFile.load(path: path).document == document)
        }
    }

    @Test func anUnfinishedLastLineIsIgnored() throws {
        for tail in ["{\"accounts\":{\"023e", "{\"outbox\":[]}garbage\n", "\u{0}\u{0}\u{0}\n"] {
            try F.withTemporaryDirectory { directory in
                let (path, _, _, second) = try Self.journaledTransition(in: directory)
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: StateJournal.path(for: path)))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(tail.utf8))
                try handle.close()

                let loaded = try StateFile.load(path: path)
                #expect(loaded.document == second, "tail \(tail.debugDescription)")
                #expect(loaded.report == nil)
            }
        }
    }

    @Test func aJournalLeftFromBeforeARewriteIsIgnored() throws {
        try F.withTemporaryDirectory { directory in
            let (path, _, _, second) = try Self.journaledTransition(in: directory)
            // A crash after the new state file was renamed into place but before its journal was: the old
            // journal's lines are all in the new file already, and replaying them would undo later changes.
            var third = second
            third.markDelivered(eventIDs: second.outbox.map(\.event.id), webhook: "ops", at: F.at(61))
            try StateFile.save(third, path: path)
            #expect(try Self.lines(StateJournal.path(for: path)).count == 2)
            let loaded = try StateFile.load(path: path)
            #expect(loaded.document == third)
            #expect(loaded.document.outbox.isEmpty, "the delivered event is not brought back")
        }
    }

    @Test func aDamagedJournalKeepsWhatPrecedesTheDamageAndIsMovedAside() throws {
        try F.withTemporaryDirectory { directory in
            let (path, store, first, second) = try Self.journaledTransition(in: directory)
            let journal = StateJournal.path(for: path)
            var third = second
            third.accounts[Self.other]?.lastError = "HTTP 500"
            try store.save(third, changedAccounts: [Self.other])
            var lines = try Self.lines(journal)
            // The middle line damaged, a whole line after it: not a torn write.
            lines[1] = "{\"accounts\":{\"x\":1}}"
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: journal))

            let loaded = try StateFile.load(path: path, now: F.t0)
            #expect(loaded.document == first)
            let report = try #require(loaded.report)
            #expect(report.contains("state journal \(journal) is damaged (line 2:"), "\(report)")
            #expect(report.contains("kept the 0 change(s) before the damage"), "\(report)")
            #expect(report.contains("moved it to \(journal).corrupt-20261129T101500Z"), "\(report)")
            #expect(!FileManager.default.fileExists(atPath: journal))
            #expect(FileManager.default.fileExists(atPath: journal + ".corrupt-20261129T101500Z"))
        }
    }

    @Test func anUnreadableJournalStopsTheStartAndIsNamed() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let journal = StateJournal.path(for: path)
            try StateFile.save(Self.document(), path: path)
            // A directory where the journal should be: unreadable even for root.
            try FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: false)
            #expect {
                try StateFile.load(path: path)
            } throws: { error in
                guard case .readFailed(let failed, let reason) = error as? StateFileError else { return false }
                return failed == journal && reason.lowercased().contains("directory")
            }
            #expect(FileManager.default.fileExists(atPath: path), "the state file is left in place")
        }
    }

    @Test func statusReadsAroundADamagedJournalWithoutMovingIt() throws {
        try F.withTemporaryDirectory { directory in
            let (path, _, first, _) = try Self.journaledTransition(in: directory)
            let journal = StateJournal.path(for: path)
            var lines = try Self.lines(journal)
            lines[1] = "{\"accounts\":{\"x\":1}}"
            lines.append(lines[1])
            let damaged = Data((lines.joined(separator: "\n") + "\n").utf8)
            try damaged.write(to: URL(fileURLWithPath: journal))
            #expect(try StateFile.inspect(path: path) == first, "what precedes the damage")
            #expect(try Data(contentsOf: URL(fileURLWithPath: journal)) == damaged, "left for the daemon to report")
        }
    }

    @Test func aJournalFromANewerVersionIsRefusedAndLeftUntouched() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let journal = StateJournal.path(for: path)
            let written = try StateFile.save(Self.document(), path: path)
            let text = "{\"generation\":\(written.generation),\"ssowatch_journal\":2}\n{\"something\":\"new\"}\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: journal))
            #expect(throws: StateFileError.newerVersion(found: 2, supported: 1, path: journal)) {
                try StateFile.load(path: path)
            }
            #expect(try String(contentsOfFile: journal, encoding: .utf8) == text)
        }
    }

    @Test func aJournalWithoutItsStateFileIsIgnored() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let store = JournaledStateFile(path: path)
            try store.save(Self.document(), changedAccounts: nil)
            try store.save(Self.afterTransition(Self.document(), at: 60), changedAccounts: [F.accountID])
            // Deleting the state file is how an operator starts afresh; the journal must not resurrect it.
            try FileManager.default.removeItem(atPath: path)
            let loaded = try StateFile.load(path: path)
            #expect(loaded.outcome == .missing)
            #expect(loaded.document == StateDocument())
        }
    }

    @Test func aStateFileWrittenBeforeTheJournalExistedLoads() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let document = Self.document()
            var text = String(decoding: StateCoding.encode(document), as: UTF8.self)
            text = text.replacingOccurrences(of: "\"journal_generation\":0,", with: "")
            #expect(!text.contains("journal_generation"))
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let loaded = try StateFile.load(path: path)
            #expect(loaded.document == document)
            #expect(loaded.document.journalGeneration == 0)
        }
    }

    @Test func recordingADeliveryCostsOneSmallLineWhateverTheOutboxSize() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let store = JournaledStateFile(path: path)
            var document = Self.document()
            let queued = (0..<2000).map { index in
                OutboxEntry(
                    event: F.event(.verified, connector: "c\(index)", at: F.at(1)), webhook: "ops", enqueuedAt: F.at(1))
            }
            document.outbox = queued
            try store.save(document, changedAccounts: nil)
            document.outboxLog = OutboxLog()
            let journal = StateJournal.path(for: path)
            var sizes: [Int] = []
            func save(accounts: Set<String> = []) throws {
                let before = try Self.bytes(journal).count
                try store.save(document, changedAccounts: accounts)
                document.outboxLog = OutboxLog()
                sizes.append(try Self.bytes(journal).count - before)
            }
            document.markDelivered(eventIDs: [queued[0].event.id], webhook: "ops", at: F.at(2))
            try save()
            document.markAttemptFailed(
                eventIDs: [queued[1].event.id], webhook: "ops", error: "HTTP 503", retryAt: F.at(5))
            try save()
            let late = OutboxEntry(
                event: F.event(.failed, connector: "late", at: F.at(3)), webhook: "ops", enqueuedAt: F.at(3))
            document.record(F.poll(document.accounts[F.accountID], [], at: F.at(3)), enqueue: [late])
            document.markDelivered(eventIDs: [queued[2].event.id], webhook: "ops", at: F.at(3))
            try save(accounts: [F.accountID])
            // A whole outbox line would be about 2,000 entries long (hundreds of kilobytes).
            #expect(sizes.allSatisfy { $0 < 4096 }, "\(sizes)")
            let lines = try Self.lines(journal)
            #expect(
                lines[1].contains("\"outbox_removed\":[{\"event_id\":\"\(queued[0].event.id)\",\"webhook\":\"ops\"}]"))
            #expect(lines[2].contains("\"outbox_updated\":[") && lines[2].contains("HTTP 503"))
            #expect(lines[3].contains("\"outbox_added\":[") && lines[3].contains("\"outbox_removed\":["))
            #expect(!lines.dropFirst().contains { $0.contains("\"outbox\":") })

            let loaded = try StateFile.load(path: path).document
            #expect(loaded == document)
            #expect(loaded.outbox.count == 1999)
            #expect(loaded.outbox.last?.event.id == late.event.id)
            #expect(loaded.outbox.first?.lastError == "HTTP 503")
        }
    }

    @Test func anOutboxChangedOutsideItsLogIsJournaledWhole() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let store = JournaledStateFile(path: path)
            var document = Self.afterTransition(Self.document(), at: 60)
            try store.save(document, changedAccounts: nil)
            document.outboxLog = OutboxLog()
            document.outbox.removeAll()  // not through a method that keeps the log
            try store.save(document, changedAccounts: [])
            #expect(try Self.lines(StateJournal.path(for: path)).last?.contains("\"outbox\":[]") == true)
            #expect(try StateFile.load(path: path).document == document)
        }
    }

    @Test func journalLinesHoldTheSameValuesAsTheStateFile() throws {
        let document = Self.afterTransition(Self.document(), at: 60)
        let change = StateJournal.Change(
            accounts: document.accounts.keys.sorted().compactMap { document.accounts[$0] }, removedAccounts: ["gone"],
            outbox: document.outbox,
            webhooks: ["ops": WebhookDeliveryState(lastError: "HTTP 500\n\"x\"", failing: true)])
        let line = StateJournal.line(change)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false, "one line")
        #expect(try StateJSONReader.journalChange(Array(line.dropLast())) == change)
        // The oracle: Foundation reads the line as the same values the state file holds.
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        let accounts = try #require(parsed["accounts"] as? NSDictionary)
        let expected = StateFormatOracle.Tree.object(document.accounts.mapValues(StateFormatOracle.account))
        #expect(accounts == expected.foundation as? NSDictionary)
        #expect(parsed["removed_accounts"] as? [String] == ["gone"])
    }
}
