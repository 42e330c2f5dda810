import SSOWatchState

/// What `ssowatch status` shows of an active/passive pair (docs/HA.md): `"ha"` in `status --json`.
public struct PairStatus: Sendable, Equatable {
    /// The role of this host's instance, as the database says: `leader` when the leader runs on this host.
    public enum Role: String, Sendable {
        case leader, standby
    }

    public var role: Role
    /// The instance that holds the leadership now; `nil` when none does.
    public var leader: LeaderRecord?
    /// `HOST:PORT/DB`.
    public var database: String

    public init(role: Role, leader: LeaderRecord?, database: String) {
        self.role = role
        self.leader = leader
        self.database = database
    }
}
