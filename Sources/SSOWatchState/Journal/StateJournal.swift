import Foundation
import SSOWatchConfig
import SSOWatchModel

/// The state file's write-ahead journal, `STATE_FILE.journal`: what changed since the state file was last
/// written whole, one JSON object per line.
///
/// Rewriting a state file of thousands of accounts (several megabytes, fsync'ed) before every delivery made
/// the time from a poll to its notification grow with the number of accounts (BENCHMARKS.md). The daemon
/// now appends each change — the accounts a poll changed, the outbox, the webhooks' delivery state — to the
/// journal and `fdatasync`s that, and rewrites the state file only when the journal has grown as large as
/// it (and on a clean stop). `StateFile.load` and `StateFile.inspect` apply the journal, so `ssowatch
/// status` and the next start see every change.
///
/// The first line names the state file it belongs to: `{"generation":G,"ssowatch_journal":1}`, where G is
/// the state file's `journal_generation`, a random number drawn each time the state file is rewritten.
/// A journal whose generation differs from the state file's is left over from before that rewrite (a crash
/// between writing the state file and starting its journal): everything in it is already in the state file,
/// and it is ignored. Each later line replaces, whole, what it names:
/// `{"accounts":{ID:ACCOUNT,…},"outbox":[…],"outbox_added":[…],"outbox_removed":[{"event_id":…,"webhook":…},…],
/// "outbox_updated":[…],"removed_accounts":[ID,…],"webhooks":{…}}` (each key optional; `outbox` replaces the
/// whole outbox, the three `outbox_…` keys change it entry by entry, applied in the order removed, added,
/// updated, so that recording one delivery costs one small line however long the outbox is).
/// A last line cut short by a crash (no newline, or not JSON) is ignored: it was never acknowledged.
public enum StateJournal {
    /// The journal format this build writes and reads.
    public static let formatVersion = 1

    /// The journal of the state file at `path`.
    public static func path(for statePath: String) -> String { statePath + ".journal" }

    /// A new generation number: random, so a journal can never be mistaken for one that belongs to a state
    /// file written later, even by another ssowatch with its own counter. At most 2^53 (exact in JSON).
    static func newGeneration() -> Int { Int.random(in: 1...(1 << 53)) }

    /// The first line of a journal for a state file of `generation`.
    static func header(generation: Int) -> [UInt8] {
        Array("{\"generation\":\(generation),\"ssowatch_journal\":\(formatVersion)}\n".utf8)
    }

    /// One change, as the daemon saved it.
    package struct Change: Equatable {
        /// Accounts added or changed, whole.
        package var accounts: [AccountState] = []
        /// Account ids no longer kept (removed from the configuration).
        package var removedAccounts: [String] = []
        /// The whole outbox, when it is written whole (the outbox log could not account for a change).
        package var outbox: [OutboxEntry]?
        /// Outbox entries delivered or dropped since the last save.
        package var outboxRemoved: [OutboxKey] = []
        /// Outbox entries queued since the last save, in order.
        package var outboxAdded: [OutboxEntry] = []
        /// Outbox entries whose delivery progress changed since the last save.
        package var outboxUpdated: [OutboxEntry] = []
        /// Every webhook's delivery state, when one changed.
        package var webhooks: [String: WebhookDeliveryState]?

        package var isEmpty: Bool {
            accounts.isEmpty && removedAccounts.isEmpty && outbox == nil && outboxRemoved.isEmpty
                && outboxAdded.isEmpty && outboxUpdated.isEmpty && webhooks == nil
        }

        /// What `document` changed since the last save: every account in `changedAccounts` (removed when
        /// `document` no longer has it), the outbox as its log records it (or whole, when the log does not
        /// account for the `savedOutboxCount` entries saved last), and the delivery states when they differ
        /// from those saved.
        package init(
            _ document: StateDocument, changedAccounts: Set<String>, savedOutboxCount: Int,
            savedWebhooks: [String: WebhookDeliveryState]
        ) {
            for id in changedAccounts.sorted() {
                if let account = document.accounts[id] {
                    accounts.append(account)
                } else {
                    removedAccounts.append(id)
                }
            }
            let log = document.outboxLog
            if savedOutboxCount + log.countChange == document.outbox.count {
                outboxRemoved = log.removed
                outboxAdded = log.added
                outboxUpdated = log.updated.values.sorted {
                    ($0.event.id, $0.webhook) < ($1.event.id, $1.webhook)
                }
            } else {
                outbox = document.outbox
            }
            if document.webhooks != savedWebhooks { webhooks = document.webhooks }
        }

        init(
            accounts: [AccountState] = [], removedAccounts: [String] = [], outbox: [OutboxEntry]? = nil,
            outboxRemoved: [OutboxKey] = [], outboxAdded: [OutboxEntry] = [], outboxUpdated: [OutboxEntry] = [],
            webhooks: [String: WebhookDeliveryState]? = nil
        ) {
            self.accounts = accounts
            self.removedAccounts = removedAccounts
            self.outbox = outbox
            self.outboxRemoved = outboxRemoved
            self.outboxAdded = outboxAdded
            self.outboxUpdated = outboxUpdated
            self.webhooks = webhooks
        }

        /// Applies the change to `document`.
        func apply(to document: inout StateDocument) {
            var outbox = OutboxReplay(document.outbox)
            apply(to: &document, outbox: &outbox)
            document.outbox = outbox.entries
        }

        /// Applies the change to `document`, its outbox changes to `outbox` (which the caller turns into
        /// `document.outbox` once every change is applied: a long journal is replayed in linear time).
        func apply(to document: inout StateDocument, outbox replay: inout OutboxReplay) {
            for account in accounts { document.accounts[account.accountID] = account }
            for id in removedAccounts { document.accounts[id] = nil }
            if let outbox { replay = OutboxReplay(outbox) }
            for key in outboxRemoved { replay.remove(key) }
            for entry in outboxAdded { replay.append(entry) }
            for entry in outboxUpdated { replay.replace(entry) }
            if let webhooks { document.webhooks = webhooks }
        }
    }

    /// An outbox under replay: entries by key, removals leave holes that `entries` skips.
    struct OutboxReplay {
        private var slots: [OutboxEntry?]
        private var index: [OutboxKey: Int] = [:]
        private var indexed = false

        init(_ entries: [OutboxEntry]) {
            slots = entries
        }

        /// The outbox in order.
        var entries: [OutboxEntry] { slots.compactMap { $0 } }

        /// Builds the index on first use: a change that never touches the outbox costs nothing.
        private mutating func buildIndex() {
            guard !indexed else { return }
            indexed = true
            for (position, entry) in slots.enumerated() {
                if let entry { index[OutboxKey(entry)] = position }
            }
        }

        mutating func remove(_ key: OutboxKey) {
            buildIndex()
            if let position = index.removeValue(forKey: key) { slots[position] = nil }
        }

        mutating func append(_ entry: OutboxEntry) {
            buildIndex()
            let key = OutboxKey(entry)
            if let position = index[key] {
                slots[position] = entry
            } else {
                index[key] = slots.count
                slots.append(entry)
            }
        }

        mutating func replace(_ entry: OutboxEntry) {
            buildIndex()
            if let position = index[OutboxKey(entry)] { slots[position] = entry }
        }
    }

    /// The journal line for `change`, newline included.
    static func line(_ change: Change) -> [UInt8] {
        StateJSONWriter.journalLine(change)
    }

    /// What applying a journal did.
    enum Replay: Equatable {
        /// There was no journal.
        case none
        /// It belongs to an earlier state file (everything in it is already there) and was skipped.
        case stale
        /// `records` changes were applied; `tornTail` when a last, unfinished line was skipped.
        case applied(records: Int, tornTail: Bool)
        /// It is damaged: the first `records` changes were applied, the rest could not be read.
        case damaged(records: Int, reason: String)
    }

    /// Applies the journal `bytes` to `document`, the state file it was read after.
    /// - Throws: `StateFileError.newerVersion` for a journal written by a newer ssowatch (left untouched).
    static func replay(_ bytes: [UInt8], onto document: inout StateDocument, path: String) throws(StateFileError)
        -> Replay
    {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // The text after the last newline is an unfinished write (empty when the journal ends cleanly).
        let unfinished = lines.removeLast()
        guard let first = lines.first else {
            // Not even a whole header: the state file was written but its journal never started.
            return unfinished.isEmpty ? .none : .stale
        }
        let header: (generation: Int, format: Int)
        do throws(JSONReadError) {
            header = try StateJSONReader.journalHeader(Array(first))
        } catch {
            return .damaged(records: 0, reason: "its first line is not a journal header")
        }
        if header.format > formatVersion {
            throw .newerVersion(found: header.format, supported: formatVersion, path: path)
        }
        guard header.generation == document.journalGeneration else { return .stale }
        var updated = document
        var outbox = OutboxReplay(document.outbox)
        var applied = 0
        func finish() {
            updated.outbox = outbox.entries
            document = updated
        }
        for (index, line) in lines.dropFirst().enumerated() {
            do throws(JSONReadError) {
                try StateJSONReader.journalChange(Array(line)).apply(to: &updated, outbox: &outbox)
                applied += 1
            } catch {
                let isLast = index == lines.count - 2 && unfinished.isEmpty
                if isLast {
                    // A crash can also leave a whole line of garbage when the file system extended the file
                    // before writing its data; it was never fsync'ed, so never acknowledged.
                    finish()
                    return .applied(records: applied, tornTail: true)
                }
                finish()
                return .damaged(records: applied, reason: "line \(index + 2): \(error)")
            }
        }
        finish()
        return .applied(records: applied, tornTail: !unfinished.isEmpty)
    }
}
