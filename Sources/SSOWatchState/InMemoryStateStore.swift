import Synchronization

/// A `StateStore` in memory, for tests and `ssowatch poll`-like uses that must not touch the disk.
/// It records every save so tests can check what would have been written and when.
public final class InMemoryStateStore: StateStore {
    private struct Contents {
        var document: StateDocument?
        var saves: [StateDocument] = []
        var failure: StateFileError?
        var health: StateHealth?
    }

    private let contents: Mutex<Contents>

    /// Creates a store holding `document` (`nil`: as if there were no file).
    public init(document: StateDocument? = nil) {
        contents = Mutex(Contents(document: document))
    }

    /// The last document saved (or the initial one).
    public var document: StateDocument? { contents.withLock { $0.document } }

    /// Every document saved, oldest first.
    public var saves: [StateDocument] { contents.withLock { $0.saves } }

    /// The health the daemon recorded last.
    public var health: StateHealth? { contents.withLock { $0.health } }

    public func recordHealth(_ health: StateHealth) -> Bool {
        contents.withLock { $0.health = health }
        return true
    }

    /// Makes every later `load` and `save` fail with `error` (`nil` restores normal behaviour).
    public func failAll(with error: StateFileError?) {
        contents.withLock { $0.failure = error }
    }

    public func load() throws(StateFileError) -> StateFile.LoadResult {
        let (document, failure) = contents.withLock { ($0.document, $0.failure) }
        if let failure { throw failure }
        guard let document else { return StateFile.LoadResult(document: StateDocument(), outcome: .missing) }
        return StateFile.LoadResult(document: document, outcome: .loaded)
    }

    public func save(_ document: StateDocument, changedAccounts: Set<String>?, durable: Bool) throws(StateFileError) {
        let failure = contents.withLock { contents -> StateFileError? in
            if let failure = contents.failure { return failure }
            contents.document = document
            contents.saves.append(document)
            return nil
        }
        if let failure { throw failure }
    }
}
