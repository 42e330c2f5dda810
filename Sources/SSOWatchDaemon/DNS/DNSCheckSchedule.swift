import Foundation

/// Which connectors' TXT records the daemon checks, when, and which checks are running (docs/DNS.md):
/// on first sight of an awaiting, pending or failed connector, after each of its status changes, and
/// every `dns_check_interval` while it stays so. Checks run beside polling, at most `concurrency` at
/// once, and never use the Cloudflare API or its budget. A pure value: the daemon owns the timer.
struct DNSCheckSchedule: Sendable, Equatable {
    /// One connector of one account.
    struct Key: Hashable, Sendable, Comparable {
        var account: String
        var connector: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.account, lhs.connector) < (rhs.account, rhs.connector)
        }
    }

    /// How many checks run at once. Each holds at most a few sockets (one per nameserver asked at the
    /// same time, each closed when its exchange ends), so this keeps them far below the unit's
    /// descriptor limit whatever the number of connectors.
    static let concurrency = 16

    /// When each watched connector is next due, by account then connector: a poll updates its own
    /// account without walking every other account's connectors.
    private var dueByAccount: [String: [String: Date]] = [:]
    /// When each watched connector is next due.
    var due: [Key: Date] {
        var all: [Key: Date] = [:]
        for (account, connectors) in dueByAccount {
            for (connector, date) in connectors { all[Key(account: account, connector: connector)] = date }
        }
        return all
    }
    /// The checks running, with their request ids: an answer with another id is stale.
    private(set) var running: [Key: Int] = [:]

    /// Records a successful poll of `account`: `watched` maps each connector that should be checked
    /// (awaiting, pending or failed, with a verification code) to whether its status just changed. New
    /// and changed ones are due now; the others keep their time; connectors not in `watched` are
    /// forgotten (a check of one still running is then stale).
    mutating func update(account: String, watched: [String: Bool], now: Date) {
        var connectors = dueByAccount[account] ?? [:]
        for connector in connectors.keys where watched[connector] == nil {
            connectors[connector] = nil
            running[Key(account: account, connector: connector)] = nil
        }
        for (connector, changed) in watched where changed || connectors[connector] == nil {
            connectors[connector] = now
        }
        dueByAccount[account] = connectors.isEmpty ? nil : connectors
    }

    /// Forgets every connector of accounts not in `accounts` (removed or disabled by a reload).
    mutating func keep(accounts: Set<String>) {
        dueByAccount = dueByAccount.filter { accounts.contains($0.key) }
        running = running.filter { accounts.contains($0.key.account) }
    }

    /// Forgets everything (`dns_check = off`).
    mutating func removeAll() {
        dueByAccount.removeAll()
        running.removeAll()
    }

    /// The checks to start now: due ones not running, earliest (then by key) first, as many as the
    /// limit leaves room for; each gets the id `nextID` returns.
    mutating func start(now: Date, nextID: () -> Int) -> [(key: Key, id: Int)] {
        let room = Self.concurrency - running.count
        guard room > 0 else { return [] }
        var ready: [(key: Key, value: Date)] = []
        for (account, connectors) in dueByAccount {
            for (connector, date) in connectors where date <= now {
                let key = Key(account: account, connector: connector)
                if running[key] == nil { ready.append((key, date)) }
            }
        }
        let chosen = ready.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.prefix(room)
        return chosen.map { item in
            let id = nextID()
            running[item.key] = id
            return (item.key, id)
        }
    }

    /// A check ended; the connector is next due at `next`. `false` when the answer is stale (the
    /// connector was forgotten, or checked again meanwhile), which then changes nothing.
    mutating func finish(_ key: Key, id: Int, next: Date) -> Bool {
        guard running[key] == id else { return false }
        running[key] = nil
        if dueByAccount[key.account]?[key.connector] != nil { dueByAccount[key.account]?[key.connector] = next }
        return true
    }

    /// When the next check not already running falls due, if any is watched; the daemon's timer.
    var nextDue: Date? {
        var earliest: Date?
        for (account, connectors) in dueByAccount {
            for (connector, date) in connectors where earliest.map({ date < $0 }) ?? true {
                if running[Key(account: account, connector: connector)] == nil { earliest = date }
            }
        }
        return earliest
    }
}
