// libFuzzer entry point for the state file loader (docs/STATE.md): `StateFile.inspect` (what `ssowatch
// status` does), `StateFile.load` (what the daemon does at start) and the status report rendered
// from whatever loads. Each input is written to a real file in a private temporary directory.
// Build and run with `make fuzz` (fuzz/run.sh).
//
// A document that loads is then put through the daemon's first steps (a poll that finds nothing, a
// failed poll, a failed and an expired delivery), since its counters and dates flow into them.
//
// Oracles beyond "no crash": a loaded document survives encode → decode unchanged and leaves the
// file as it was; a corrupt file is moved aside byte for byte and the path is free again; a file
// from a newer version is refused and left untouched; whatever the state file's decoder accepts,
// Foundation's `JSONSerialization` (the oracle) parses as a JSON object. The same bytes are then read as the journal
// (`StateJournal`) of a valid state file: applying it never crashes, a damaged journal is moved
// aside, and a journal of another generation changes nothing.

import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

#if canImport(Glibc)
    import Glibc
#endif

/// One directory per fuzzing process (libFuzzer may run several with -jobs/-workers).
private let directory: String = {
    var template = Array("/tmp/ssowatch-statefuzz-XXXXXX".utf8CString)
    guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        fatalError("mkdtemp failed: errno \(errno)")
    }
    return String(cString: created)
}()

/// A fixed clock: the name of a moved-aside file depends on it.
private let now = Date(timeIntervalSince1970: 1_795_000_000)

private func contents(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { Array($0) }
}

/// What the daemon does with a document it has loaded, short of the network.
private func exercise(_ document: StateDocument) {
    var document = document
    _ = StatusReport.json(state: document, configuration: nil, now: now)
    _ = StatusReport.text(state: document, configuration: nil, now: now)
    for (accountID, state) in document.accounts {
        let connectors = state.connectors.values.prefix(2).map { connector in
            Connector(id: connector.id, emailDomain: connector.emailDomain, rawStatus: "verified")
        }
        for poll in [connectors, []] {
            let result = TransitionEngine.apply(
                previous: state, connectors: poll, accountName: state.name, accountID: accountID, now: now,
                notifyOnFirstSeen: true, stuckAfter: 3600)
            _ = TransitionEngine.apply(
                previous: result.state, connectors: [], accountName: state.name, accountID: accountID,
                now: now.addingTimeInterval(60), notifyOnFirstSeen: false, stuckAfter: nil)
        }
        _ = TransitionEngine.recordFailure(previous: state, error: "HTTP 503", now: now)
    }
    _ = document.nextRetryDate()
    for batch in document.deliverableBatches(now: now, maxPerWebhook: 3) {
        document.markAttemptFailed(
            eventIDs: batch.eventIDs, webhook: batch.webhook, error: "HTTP 502", retryAt: now.addingTimeInterval(1))
    }
    _ = document.dropExpired(now: now, maxAge: 86_400)
}

/// The input as the lines after a journal header, beside a valid state file of the header's generation.
private func fuzzJournal(_ bytes: [UInt8]) {
    let path = directory + "/journaled.json"
    let journal = StateJournal.path(for: path)
    defer {
        unlink(path)
        unlink(journal)
    }
    let base = StateDocument(
        accounts: ["a": AccountState(accountID: "a", name: "prod", baselineDone: true)],
        journalGeneration: 7)
    guard FileManager.default.createFile(atPath: path, contents: Data(StateCoding.encode(base))),
        FileManager.default.createFile(
            atPath: journal, contents: Data("{\"generation\":7,\"ssowatch_journal\":1}\n".utf8 + bytes))
    else { fatalError("cannot write \(path)") }
    do {
        let result = try StateFile.load(path: path, now: now)
        precondition(result.outcome == .loaded)
        if let report = result.report {
            precondition(report.contains("is damaged"))
            precondition(contents(journal) == nil, "a damaged journal is moved aside")
            let aside = StateFile.corruptPath(for: journal, at: now)
            precondition(contents(aside) != nil)
            unlink(aside)
        }
        exercise(result.document)
    } catch {
        fatalError("a journal behind a valid header cannot make loading fail: \(error)")
    }
    // Another generation: ignored whatever it holds.
    let stale = Data("{\"generation\":8,\"ssowatch_journal\":1}\n".utf8 + bytes)
    guard FileManager.default.createFile(atPath: journal, contents: stale) else { fatalError("cannot write") }
    guard let loaded = try? StateFile.load(path: path, now: now), loaded.document == base, loaded.report == nil
    else { fatalError("a journal of another generation changed the state") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let path = directory + "/state.json"
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        fatalError("cannot write \(path)")
    }
    defer { unlink(path) }

    // The decoder never accepts what is not JSON.
    if (try? StateCoding.decode(bytes)) != nil {
        guard (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any] else {
            fatalError("the decoder accepted what JSONSerialization does not read as an object")
        }
    }
    fuzzJournal(bytes)

    // `ssowatch status`: read-only.
    do {
        if let document = try StateFile.inspect(path: path) {
            exercise(document)
        }
    } catch {
        precondition(!error.description.isEmpty)
    }
    precondition(contents(path) == bytes, "inspect must not change the file")

    // The daemon's start.
    do {
        let result = try StateFile.load(path: path, now: now)
        switch result.outcome {
        case .loaded:
            precondition(contents(path) == bytes, "a loaded file stays as it was")
            let document = result.document
            precondition(document.version == StateDocument.currentVersion)
            let encoded = StateCoding.encode(document)
            do {
                let again = try StateCoding.decode(encoded)
                precondition(again == document, "the document changed in a save/load round trip")
            } catch {
                fatalError("a saved document cannot be read back: \(error)")
            }
        case .movedAside(let destination, let reason):
            precondition(!reason.isEmpty && result.report != nil)
            precondition(result.document == StateDocument(), "a corrupt file gives a fresh document")
            precondition(contents(path) == nil, "the corrupt file is no longer at its path")
            precondition(contents(destination) == bytes, "the corrupt file is moved aside unchanged")
            unlink(destination)
        case .missing:
            fatalError("the file exists, it cannot be missing")
        }
    } catch {
        guard case .newerVersion(let found, let supported, _) = error else {
            fatalError("unexpected error loading the state file: \(error)")
        }
        precondition(found > supported)
        precondition(contents(path) == bytes, "a newer version's file is left untouched")
    }
    return 0
}
