import SSOWatchConfig
/// One outbox entry's identity: its event and webhook (an event goes to each webhook once).
public struct OutboxKey: Sendable, Hashable {
    public var eventID: String
    public var webhook: String

    /// The key of `entry`.
    public init(_ entry: OutboxEntry) {
        eventID = entry.event.id
        webhook = entry.webhook
    }

    public init(eventID: String, webhook: String) {
        self.eventID = eventID
        self.webhook = webhook
    }

}

/// What happened to the outbox since the state was last saved, kept as it happens, so that recording a
/// delivery costs the same whatever the outbox's size (docs/STATE.md): the journal gets this delta, not
/// the whole outbox.
///
/// `StateDocument`'s outbox mutations (`record`, `markDelivered`, `markAttemptFailed`, …) keep it; the
/// daemon empties it after each successful save. Applied in the order removed, added, updated, it turns
/// the outbox as saved into the outbox as it is now.
public struct OutboxLog: Sendable {
    /// Entries queued since the save, in order, with their latest contents.
    private(set) var added: [OutboxEntry] = []
    private var addedIndex: [OutboxKey: Int] = [:]
    /// Entries that were in the outbox at the save and are gone now, in the order they went.
    private(set) var removed: [OutboxKey] = []
    /// Entries that were in the outbox at the save and changed since (latest contents).
    private(set) var updated: [OutboxKey: OutboxEntry] = [:]
    /// How the outbox's size changed since the save.
    private(set) var countChange = 0

    /// An empty log: nothing changed since the save.
    public init() {}

    /// Whether nothing changed.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && updated.isEmpty }

    mutating func add(_ entries: some Sequence<OutboxEntry>) {
        for entry in entries {
            addedIndex[OutboxKey(entry)] = added.count
            added.append(entry)
            countChange += 1
        }
    }

    mutating func update(_ entry: OutboxEntry) {
        let key = OutboxKey(entry)
        if let index = addedIndex[key] {
            added[index] = entry
        } else {
            updated[key] = entry
        }
    }

    mutating func remove(_ entry: OutboxEntry) {
        let key = OutboxKey(entry)
        countChange -= 1
        if let index = addedIndex.removeValue(forKey: key) {
            added.remove(at: index)
            for later in added[index...] { addedIndex[OutboxKey(later)]! -= 1 }
            return
        }
        updated[key] = nil
        removed.append(key)
    }
}
