import Foundation
import SSOWatchConfig
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's state store: the state file (docs/STATE.md) and its journal (`StateJournal`).
///
/// A save that names the accounts it changed appends one line to the journal and `fdatasync`s it: a cost
/// that grows with the change, not with the number of accounts. The whole state file is rewritten — a new
/// file fsync'ed and renamed over the old one, then a new journal started — on the first save, on a save
/// that names no accounts (a clean stop), and once the journal has grown as large as the state file (at
/// least 1 MiB), so the journal costs at most as much disk and start-up time again. A failed append is cut
/// off and the next save appends again; a rewrite that fails (a full disk) falls back to appending, so the
/// daemon recovers with only as much free space as one change needs.
public final class JournaledStateFile: StateStore {
    /// The state file's path; the journal is `PATH.journal`.
    public let path: String
    private let now: @Sendable () -> Date
    private let journal = Mutex<OpenJournal?>(nil)
    private let lock = Mutex<StateFileLock?>(nil)
    private let health = Mutex<StateHealthFile?>(nil)

    /// The journal being appended to and what it has recorded.
    private struct OpenJournal {
        var fd: Int32
        var size: Int
        /// Whether lines were appended since the last `fdatasync`.
        var unsynced = false
        /// The size past which the next save rewrites the state file.
        var limit: Int
        /// The size of the outbox and the delivery states the state file and the journal hold together (the
        /// outbox's changes come from its log, the delivery states' are found by comparing; accounts are
        /// named by the caller, so their old states need not be kept).
        var outboxCount: Int
        var webhooks: [String: WebhookDeliveryState]
        #if DEBUG
            /// Every account as saved, to check that callers name each account they change.
            var accounts: [String: AccountState]
        #endif

        init(fd: Int32, size: Int, limit: Int, saved document: StateDocument) {
            self.fd = fd
            self.size = size
            self.limit = limit
            outboxCount = document.outbox.count
            webhooks = document.webhooks
            #if DEBUG
                accounts = document.accounts
            #endif
        }

        mutating func record(_ document: StateDocument) {
            outboxCount = document.outbox.count
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

    public func acquireLock() throws(StateFileError) -> [String] {
        try lock.withLock { (held: inout StateFileLock?) throws(StateFileError) -> [String] in
            if held == nil { held = try StateFileLock(statePath: path) }
            return StateFileLock.removeLeftoverTemporaryFiles(statePath: path)
        }
    }

    public func recordHealth(_ record: StateHealth) -> Bool {
        health.withLock { file in
            // Made (and allocated) at the first call; a failed attempt is tried again at the next one.
            if file == nil { file = StateHealthFile(statePath: path) }
            return file?.write(record) ?? false
        }
    }

    /// What the daemon last recorded about writing the state file at `path` (`ssowatch status`).
    public static func health(ofStateFile path: String) -> StateHealth? {
        StateHealthFile.read(statePath: path)
    }

    public func load() throws(StateFileError) -> StateFile.LoadResult {
        let loaded = try StateFile.load(path: path, now: now())
        // Allocated now, while there is room, so a full disk later can still be shown; but only once the
        // state is usable: a daemon that refuses the file (a newer version) leaves nothing beside it but
        // the lock file.
        health.withLock { file in
            if file == nil { file = StateHealthFile(statePath: path) }
        }
        return loaded
    }

    public func save(_ document: StateDocument, changedAccounts: Set<String>?, durable: Bool) throws(StateFileError) {
        try journal.withLock { (slot: inout OpenJournal?) throws(StateFileError) in
            // A rewrite is due when the caller asks for one or the journal has grown as large as the state
            // file. When it fails (a full disk has no room for a second copy of the state file), appending
            // the change, which needs only its own size, keeps the daemon's promises until space returns.
            let rewriteDue = changedAccounts == nil || slot.map { $0.size >= $0.limit } ?? true
            if rewriteDue {
                do throws(StateFileError) {
                    try rewrite(document, into: &slot)
                    return
                } catch {
                    guard slot != nil, let changedAccounts,
                        try appendChange(document, changedAccounts, durable: durable, to: &slot)
                    else { throw error }
                    return
                }
            }
            guard let changedAccounts, try appendChange(document, changedAccounts, durable: durable, to: &slot) else {
                try rewrite(document, into: &slot)
                return
            }
        }
    }

    /// Appends what changed to the slot journal; false when there is no usable journal (the caller rewrites
    /// instead).
    /// - Throws: the append's error; the journal is cut back to its last whole line, so the next save can
    ///   append again (whatever this one failed to record is part of the next change).
    private func appendChange(
        _ document: StateDocument, _ changedAccounts: Set<String>, durable: Bool, to slot: inout OpenJournal?
    ) throws(StateFileError) -> Bool {
        guard var current = slot else { return false }
        #if DEBUG
            assert(
                Self.onlyNamedAccountsDiffer(current.accounts, document.accounts, named: changedAccounts),
                "an account changed without being named: the journal would miss it")
        #endif
        let change = StateJournal.Change(
            document, changedAccounts: changedAccounts, savedOutboxCount: current.outboxCount,
            savedWebhooks: current.webhooks)
        if change.isEmpty {
            if durable && current.unsynced {
                try syncJournal(current.fd)
                current.unsynced = false
                slot = current
            }
            return true
        }
        let line = StateJournal.line(change)
        do throws(StateFileError) {
            try StateFileIO.writeFully(current.fd, line, path: StateJournal.path(for: path))
            if durable { try syncJournal(current.fd) }
        } catch {
            // A partly written line must never be followed by another: cut it off. Should that fail too,
            // the next save starts a new state file and journal.
            if ftruncate(current.fd, off_t(current.size)) != 0 {
                close(current.fd)
                slot = nil
            }
            throw error
        }
        current.size += line.count
        current.unsynced = !durable
        current.record(document)
        slot = current
        return true
    }

    /// Writes the whole state file with a new generation, then starts its empty journal. On failure `slot`
    /// stays usable when the old state file is still in place; once the new state file is in place, the old
    /// journal belongs to the old file and is closed.
    private func rewrite(_ document: StateDocument, into slot: inout OpenJournal?) throws(StateFileError) {
        let written: (generation: Int, bytes: Int)
        do throws(StateFileError) {
            written = try StateFile.save(document, path: path)
        } catch {
            if case .writeFailed(_, let step, _) = error, step.hasPrefix("fsync of directory") {
                // The rename happened: the old journal no longer matches the state file.
                if let fd = slot?.fd { close(fd) }
                slot = nil
            }
            throw error
        }
        if let fd = slot?.fd { close(fd) }
        slot = nil
        let journalPath = StateJournal.path(for: path)
        let header = StateJournal.header(generation: written.generation)
        // Until this rename the old journal stays, but its generation no longer matches the state file.
        try StateFileIO.writeAtomically(header, to: journalPath)
        let fd = open(journalPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            throw .writeFailed(path: journalPath, step: "opening it to append", reason: StateFileIO.message(errno))
        }
        slot = OpenJournal(
            fd: fd, size: header.count, limit: max(Self.minimumJournalLimit, written.bytes), saved: document)
    }

    public func sync() throws(StateFileError) {
        try journal.withLock { (slot: inout OpenJournal?) throws(StateFileError) in
            guard var current = slot, current.unsynced else { return }
            try syncJournal(current.fd)
            current.unsynced = false
            slot = current
        }
    }

    /// `fdatasync` of the journal: what it holds survives a crash from now on.
    private func syncJournal(_ fd: Int32) throws(StateFileError) {
        guard fdatasync(fd) == 0 else {
            throw .writeFailed(
                path: StateJournal.path(for: path), step: "fdatasync", reason: StateFileIO.message(errno))
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
