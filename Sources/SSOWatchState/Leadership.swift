import Foundation

/// Who runs the monitoring when instances share one store (an active/passive pair, docs/HA.md): the one that
/// holds the leadership polls, checks DNS and delivers; the others wait.
public enum LeadershipRole: Sendable, Equatable {
    /// This instance leads in `epoch`, a number no earlier leadership had.
    case leader(epoch: Int)
    /// This instance waits; `reason` completes `standby: …` (`leader is HOST (pid N)`, `database unreachable
    /// (…)`).
    case standby(reason: String)
}

/// The leader of the pair, as the store records it.
public struct LeaderRecord: Sendable, Equatable {
    public var host: String
    public var pid: Int
    public var epoch: Int
    public var since: Date

    public init(host: String, pid: Int, epoch: Int, since: Date) {
        self.host = host
        self.pid = pid
        self.epoch = epoch
        self.since = since
    }
}

/// Takes and keeps the leadership of a pair, and gives it up when it can no longer prove it holds it.
public protocol LeadershipLease: AnyObject, Sendable {
    /// Starts campaigning in the background: `onChange` is called with every change of role, in order, from
    /// any thread. Retried until `stop()`.
    func start(onChange: @escaping @Sendable (LeadershipRole) -> Void)
    /// Whether the lease was held at the latest check (a heartbeat with a deadline): false as soon as a check
    /// failed, before the change of role is reported.
    var isHeld: Bool { get }
    /// Gives up the leadership now (after a refused write or claim) and campaigns again.
    func resign(reason: String)
    /// Releases everything, within a few seconds at most.
    func stop()
}
