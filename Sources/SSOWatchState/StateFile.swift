import Foundation
import SSOWatchConfig
import SSOWatchModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the daemon keeps its `StateDocument`: loaded once at start, saved after every change.
/// The daemon uses a `JournaledStateFile`; tests pass an `InMemoryStateStore`.
public protocol StateStore: Sendable {
    /// Reads the stored document (a fresh one when there is none).
    func load() throws(StateFileError) -> StateFile.LoadResult
    /// Stores `document`. When `durable`, a crash can no longer lose it once this returns; otherwise it is
    /// written (visible to `ssowatch status`) and made durable by the next durable save or `sync()`.
    /// - Parameter changedAccounts: the id of every account whose state may differ from the document
    ///   saved last, so a store can write only those; `nil` when unknown (the whole document is written).
    func save(_ document: StateDocument, changedAccounts: Set<String>?, durable: Bool) throws(StateFileError)
    /// Makes every save so far durable.
    func sync() throws(StateFileError)
    /// Makes this process the only writer of the store (docs/STATE.md: one daemon per state file) and
    /// removes what an interrupted write left behind; returns the names of the files removed.
    /// - Throws: `StateFileError.locked` when another process writes it.
    func acquireLock() throws(StateFileError) -> [String]
    /// Keeps `health` where `ssowatch status` can read it even while the state cannot be written; false
    /// when it could not be kept.
    @discardableResult
    func recordHealth(_ health: StateHealth) -> Bool
    /// Claims the delivery of these outbox entries to `webhook` for this process, just before it is sent.
    /// A store shared by an active/passive pair refuses the claim of a leader that was deposed (docs/HA.md,
    /// fencing): then it throws `StateFileError.deposed` and nothing may be sent.
    func claimDelivery(_ keys: [OutboxKey]) throws(StateFileError)
}

extension StateStore {
    /// A store only this process can reach needs no lock.
    public func acquireLock() throws(StateFileError) -> [String] { [] }
    /// A store only this process can reach has nobody to show its health to.
    public func recordHealth(_ health: StateHealth) -> Bool { true }
    /// A store only this process can reach has no other process to fence off.
    public func claimDelivery(_ keys: [OutboxKey]) throws(StateFileError) {}

    /// Stores `document` durably.
    public func save(_ document: StateDocument, changedAccounts: Set<String>?) throws(StateFileError) {
        try save(document, changedAccounts: changedAccounts, durable: true)
    }

    /// A store whose saves are always durable has nothing to sync.
    public func sync() throws(StateFileError) {}

    /// Stores the whole document.
    public func save(_ document: StateDocument) throws(StateFileError) {
        try save(document, changedAccounts: nil)
    }
}

/// The state file on disk (docs/STATE.md): JSON, mode 0600, replaced atomically.
public struct StateFile: StateStore {
    /// What `load` found.
    public struct LoadResult: Sendable, Equatable {
        /// How the file looked.
        public enum Outcome: Sendable, Equatable {
            /// There was no file: a fresh start.
            case missing
            /// The file was read.
            case loaded
            /// The file was corrupt and has been renamed to `movedTo`; a fresh start.
            case movedAside(movedTo: String, reason: String)
        }

        /// The document to run with.
        public var document: StateDocument
        /// How the file looked.
        public var outcome: Outcome
        /// A message for the log when something unusual happened (a corrupt file moved aside).
        public var report: String?

        /// Creates a result.
        public init(document: StateDocument, outcome: Outcome, report: String? = nil) {
            self.document = document
            self.outcome = outcome
            self.report = report
        }
    }

    /// The file's path.
    public var path: String
    /// The clock used to name a corrupt file that is moved aside.
    public var now: @Sendable () -> Date

    /// Creates a state file at `path`.
    public init(path: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.path = path
        self.now = now
    }

    public func load() throws(StateFileError) -> LoadResult { try Self.load(path: path, now: now()) }

    /// Writes the whole file whatever changed (`JournaledStateFile` writes only the changes).
    public func save(_ document: StateDocument, changedAccounts: Set<String>?, durable: Bool) throws(StateFileError) {
        try Self.save(document, path: path)
    }

    /// Reads the state file at `path`.
    ///
    /// A missing file gives a fresh document. A corrupt one (empty, truncated, not JSON, wrong
    /// shape) is renamed to `PATH.corrupt-YYYYMMDDTHHMMSSZ` and a fresh document is returned with a
    /// report. A file from a newer format version is left untouched and refused.
    /// - Throws: `StateFileError.newerVersion`, `.readFailed`, `.moveAsideFailed`.
    public static func load(path: String, now: Date = Date()) throws(StateFileError) -> LoadResult {
        var result = try loadSnapshot(path: path, now: now)
        if let report = try applyJournal(to: &result.document, statePath: path, now: now, moveDamagedAside: true) {
            result.report = [result.report, report].compactMap { $0 }.joined(separator: "; ")
        }
        return result
    }

    /// `load` without the journal.
    private static func loadSnapshot(path: String, now: Date) throws(StateFileError) -> LoadResult {
        guard let bytes = try readSnapshot(path: path) else {
            return LoadResult(document: StateDocument(), outcome: .missing)
        }
        let reason: String
        switch try decodeSnapshot(bytes, path: path) {
        case .document(let document): return LoadResult(document: document, outcome: .loaded)
        case .corrupt(let why): reason = why
        }
        let destination = try moveAside(path: path, now: now)
        let report =
            "state file \(path) was corrupt (\(reason)); moved it to \(destination) and started afresh: "
            + "every account is re-baselined silently on its next poll"
        return LoadResult(
            document: StateDocument(), outcome: .movedAside(movedTo: destination, reason: reason), report: report)
    }

    /// Applies the state file's journal (`StateJournal`) to `document`, the state file as read. Returns a
    /// report when the journal is damaged: the changes before the damage are kept and, with
    /// `moveDamagedAside`, the journal is renamed to `JOURNAL.corrupt-…` for inspection.
    /// - Throws: `StateFileError.newerVersion` for a journal from a newer ssowatch, `.readFailed`.
    static func applyJournal(
        to document: inout StateDocument, statePath: String, now: Date, moveDamagedAside: Bool
    ) throws(StateFileError) -> String? {
        let journal = StateJournal.path(for: statePath)
        let bytes: [UInt8]
        switch StateFileIO.readAll(path: journal) {
        case .success(let read): bytes = read
        case .failure(let error) where error.code == ENOENT: return nil
        case .failure(let error): throw .readFailed(path: journal, reason: StateFileIO.message(error.code))
        }
        guard case .damaged(let records, let reason) = try StateJournal.replay(bytes, onto: &document, path: journal)
        else { return nil }
        var report = "state journal \(journal) is damaged (\(reason)); kept the \(records) change(s) before the damage"
        if moveDamagedAside {
            let destination = try moveAside(path: journal, now: now)
            report += " and moved it to \(destination)"
        }
        return report
    }

    /// Reads the state file without changing anything, for `ssowatch status`: `nil` when there is
    /// no file; a corrupt file is reported (the daemon moves it aside when it next starts).
    /// - Throws: `StateFileError.newerVersion`, `.readFailed` (also for a corrupt file).
    public static func inspect(path: String) throws(StateFileError) -> StateDocument? {
        // The daemon may rewrite the file (a new inode, renamed into place) between reading it and reading
        // its journal, which then belongs to the new file: read both again.
        for attempt in 1...3 {
            let before = fileIdentity(path)
            guard var document = try inspectSnapshot(path: path) else { return nil }
            _ = try applyJournal(to: &document, statePath: path, now: Date(), moveDamagedAside: false)
            if attempt == 3 || fileIdentity(path) == before { return document }
        }
        return nil
    }

    /// The device and inode of the file at `path` (`nil` when it cannot be stat'ed).
    private static func fileIdentity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    private static func inspectSnapshot(path: String) throws(StateFileError) -> StateDocument? {
        guard let bytes = try readSnapshot(path: path) else { return nil }
        switch try decodeSnapshot(bytes, path: path) {
        case .document(let document): return document
        case .corrupt(let reason):
            // `load` moves such a file aside: say so rather than show what the daemon will discard.
            throw .readFailed(path: path, reason: "the file is corrupt (\(reason)); ssowatch run moves it aside")
        }
    }

    /// The state file's bytes; `nil` when there is no file.
    private static func readSnapshot(path: String) throws(StateFileError) -> [UInt8]? {
        switch StateFileIO.readAll(path: path) {
        case .success(let bytes): return bytes
        case .failure(let error) where error.code == ENOENT: return nil
        case .failure(let error): throw .readFailed(path: path, reason: StateFileIO.message(error.code))
        }
    }

    /// What a state file's bytes hold, for `load` and `inspect` alike.
    private enum Snapshot {
        case document(StateDocument)
        /// Why the file cannot be used: one short line.
        case corrupt(String)
    }

    /// Decodes a state file (`StateCoding.contents`).
    /// - Throws: `StateFileError.newerVersion` for a file written by a newer ssowatch.
    private static func decodeSnapshot(_ bytes: [UInt8], path: String) throws(StateFileError) -> Snapshot {
        switch StateCoding.contents(of: bytes) {
        case .document(let document): return .document(document)
        case .corrupt(let reason): return .corrupt(reason)
        case .newerVersion(let found):
            throw .newerVersion(found: found, supported: StateDocument.currentVersion, path: path)
        }
    }

    /// Writes `document` to `path` atomically: a new file (mode 0600) in the same directory is
    /// written fully and fsync'ed, renamed over `path`, and the directory is fsync'ed, so a crash
    /// leaves either the old file or the new one. A missing directory is created with mode 0700.
    /// `StateJSONWriter` writes it a megabyte at a time (BENCHMARKS.md).
    /// - Throws: `StateFileError.writeFailed` naming the step and the OS error.
    ///
    /// The file gets a new `journal_generation`, so a journal left beside it no longer applies (see
    /// `StateJournal`). Returns the generation and the number of bytes written.
    @discardableResult
    public static func save(_ document: StateDocument, path: String) throws(StateFileError) -> (
        generation: Int, bytes: Int
    ) {
        var document = document
        document.journalGeneration = StateJournal.newGeneration()
        var size = 0
        try StateFileIO.writeAtomically(to: path) { fd throws(StateFileError) in
            // In pieces of 1 MiB: a state file of 10,000 accounts is 40 MB, which need not be in memory whole.
            try StateJSONWriter.write(document, chunkSize: 1 << 20) { chunk throws(StateFileError) in
                try StateFileIO.writeFully(fd, chunk, path: path)
                size += chunk.count
            }
        }
        return (document.journalGeneration, size)
    }

    /// The name a corrupt file is moved to: `PATH.corrupt-20261129T101500Z` (UTC).
    public static func corruptPath(for path: String, at date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        let stamp = String(
            format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return "\(path).corrupt-\(stamp)"
    }

    private static func moveAside(path: String, now: Date) throws(StateFileError) -> String {
        let base = corruptPath(for: path, at: now)
        var destination = base
        var counter = 1
        // Never overwrite an earlier corrupt copy made in the same second.
        while access(destination, F_OK) == 0 {
            counter += 1
            destination = "\(base)-\(counter)"
        }
        guard rename(path, destination) == 0 else {
            throw .moveAsideFailed(path: path, destination: destination, reason: StateFileIO.message(errno))
        }
        return destination
    }
}
