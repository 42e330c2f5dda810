import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
/// What `STATUS=` says, kept up to date one account at a time.
///
/// The daemon publishes the line after every poll; rendering it from scratch walks every connector of every
/// account, which made each interval cost O(accounts²) and dominated the CPU profile with thousands of
/// accounts (BENCHMARKS.md). The tally keeps each enabled account's counts and error, so a poll updates one
/// account and rendering costs O(failing accounts + webhooks). For the same state and configuration it
/// renders exactly what `StatusLine.render(state:configuration:)` renders.
struct StatusTally {
    /// Enabled account id → its position in the configuration.
    private let positions: [String: Int]
    /// Enabled account names, by position.
    private let names: [String]
    /// Each enabled account's counts as last recorded, by position.
    private var perAccount: [StatusLine.Counts]
    private var total = StatusLine.Counts()
    /// Position → last error, for the enabled accounts whose latest poll failed.
    private var failing: [Int: String] = [:]

    /// Tallies `state` as seen through `configuration` (its enabled accounts only).
    init(state: StateDocument, configuration: Configuration) {
        let enabled = configuration.accounts.filter(\.enabled)
        var positions: [String: Int] = [:]
        for (position, account) in enabled.enumerated() { positions[account.accountID] = position }
        self.positions = positions
        names = enabled.map(\.name)
        perAccount = Array(repeating: StatusLine.Counts(), count: enabled.count)
        for account in enabled {
            update(accountID: account.accountID, state: state.accounts[account.accountID])
        }
    }

    /// Records the current state of one account; accounts that are not enabled in the configuration the
    /// tally was made with are ignored, as the line ignores them.
    mutating func update(accountID: String, state: AccountState?) {
        guard let position = positions[accountID] else { return }
        var counts = StatusLine.Counts()
        if let state { counts.add(state) }
        total.subtract(perAccount[position])
        total.add(counts)
        perAccount[position] = counts
        failing[position] = state?.lastError
    }

    /// The `STATUS=` summary; the outbox and the webhooks are read from `state` and `configuration`.
    func render(state: StateDocument, configuration: Configuration) -> String {
        // The first `namedLimit` failing accounts in configuration order, without sorting them all.
        var first: [Int] = []
        for position in failing.keys {
            if first.count < StatusLine.namedLimit {
                first.append(position)
                first.sort()
            } else if let last = first.last, position < last {
                first[first.count - 1] = position
                first.sort()
            }
        }
        let named = first.compactMap { position in failing[position].map { (names[position], $0) } }
        return StatusLine.format(
            counts: total, accounts: names.count, queued: state.outbox.count,
            failingAccounts: (named, failing.count),
            failingWebhooks: StatusLine.failingWebhooks(
                configuration.webhooks.map { ($0.name, state.webhooks[$0.name]) }))
    }
}
