import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's state store: the state file (SPEC §6) and its journal (`StateJournal`).
///
/// A save that names the accounts it changed appends one line to the journal and `fdatasync`s it: a cost
/// that grows with the change, not with the number of accounts. The whole state file is rewritten — a new
/// file fsync'ed and renamed over the old one, then a new journal started — on the first save, on a save
/// that names no accounts (a clean stop), after a failed append, and once the journal has grown as large as
/// the state file (at least 1 MiB), so the journal costs at most as much disk and start-up time again.
public final class JournaledStateFile: StateStore {
    /// The state file's path; the journal is `PATH.journal`.
    public let path: String
    private let now: @Sendable () -> Date
    private let journal = Mutex<OpenJournal?>(nil)

    /// The journal being appended to and what it has recorded.
    private struct OpenJournal {
        var fd: Int32
        var size: Int
        /// The size past which the next save rewrites the state file.
        var limit: Int
        /// The outbox and delivery states the state file and the journal hold together (a change to them is
        /// found by comparing; accounts are named by the caller, so their old states need not be kept).
        var outbox: [OutboxEntry]
        var webhooks: [String: WebhookDeliveryState]
        #if DEBUG
            /// Every account as saved, to check that callers name each account they change.
            var accounts: [String: AccountState]
        #endif

        init(fd: Int32, size: Int, limit: Int, saved document: StateDocument) {
            self.fd = fd
            self.size = size
            self.limit = limit
            outbox = document.outbox
            webhooks = document.webhooks
            #if DEBUG
                accounts = document.accounts
            #endif
        }

        mutating func record(_ document: StateDocument) {
            outbox = document.outbox
            webhooks = document.webhooks
            #if DEBUG
                accounts = document.accounts
            #endif
        }
    }

    /// The journal's smallest size limit: below it a rewrite would cost more than it saves.
    static let minimumJournalLimit = 1 << 20

    /// Creates the store for the state file at `path`.
    public init(path: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.path = path
        self.now = now
    }

    deinit {
        journal.withLock { open in
            if let fd = open?.fd { close(fd) }
        }
    }

    public func load() throws(StateFileError) -> StateFile.LoadResult {
        try StateFile.load(path: path, now: now())
    }

    public func save(_ document: StateDocument, changedAccounts: Set<String>?) throws(StateFileError) {
        try journal.withLock { (open: inout OpenJournal?) throws(StateFileError) in
            if var current = open, let changedAccounts, current.size < current.limit {
                #if DEBUG
                    assert(
                        Self.onlyNamedAccountsDiffer(current.accounts, document.accounts, named: changedAccounts),
                        "an account changed without being named: the journal would miss it")
                #endif
                let change = StateJournal.Change(
                    document, changedAccounts: changedAccounts, savedOutbox: current.outbox,
                    savedWebhooks: current.webhooks)
                if change.isEmpty { return }
                if let line = StateJournal.line(change) {
                    do throws(StateFileError) {
                        try append(line, to: current.fd)
                    } catch {
                        // A partly written line must never be followed by another: start afresh next time.
                        close(current.fd)
                        open = nil
                        throw error
                    }
                    current.size += line.count
                    current.record(document)
                    open = current
                    return
                }
                // A value JSON cannot hold: the rewrite below reports it.
            }
            if let fd = open?.fd { close(fd) }
            open = nil
            open = try rewrite(document)
        }
    }

    /// Writes the whole state file with a new generation, then starts its empty journal.
    private func rewrite(_ document: StateDocument) throws(StateFileError) -> OpenJournal {
        let written = try StateFile.save(document, path: path)
        let journalPath = StateJournal.path(for: path)
        let header = StateJournal.header(generation: written.generation)
        // Until this rename the old journal stays, but its generation no longer matches the state file.
        try StateFileIO.writeAtomically(header, to: journalPath)
        let fd = open(journalPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            throw .writeFailed(path: journalPath, step: "opening it to append", reason: StateFileIO.message(errno))
        }
        return OpenJournal(
            fd: fd, size: header.count, limit: max(Self.minimumJournalLimit, written.bytes), saved: document)
    }

    private func append(_ line: [UInt8], to fd: Int32) throws(StateFileError) {
        let journalPath = StateJournal.path(for: path)
        try StateFileIO.writeFully(fd, line, path: journalPath)
        guard fdatasync(fd) == 0 else {
            throw .writeFailed(path: journalPath, step: "fdatasync", reason: StateFileIO.message(errno))
        }
    }

    /// Whether every account outside `named` is the same in both documents (checked in debug builds: a
    /// caller that forgets to name a changed account would leave that change out of the journal).
    private static func onlyNamedAccountsDiffer(
        _ old: [String: AccountState], _ new: [String: AccountState], named: Set<String>
    ) -> Bool {
        let ids = Set(old.keys).union(new.keys).subtracting(named)
        return ids.allSatisfy { old[$0] == new[$0] }
    }
}
