import SSOWatchConfig
/// Why the state file could not be read or written. Each message names the file, the operating
/// system's reason, and what the operator can do about it.
public enum StateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file was written by a newer ssowatch; it is left untouched (exit status 78).
    case newerVersion(found: Int, supported: Int, path: String)
    /// The file exists but could not be read.
    case readFailed(path: String, reason: String)
    /// The file is corrupt and could not be renamed out of the way.
    case moveAsideFailed(path: String, destination: String, reason: String)
    /// A step of the atomic write failed; `step` says which (create, write, fsync, rename, ...).
    case writeFailed(path: String, step: String, reason: String)
    /// Another process holds the state file's lock (exit status 75); `pid` is what its lock file says.
    case locked(path: String, lockPath: String, pid: Int?)
    /// The lock file could not be created or locked.
    case lockFailed(path: String, lockPath: String, reason: String)
    /// A step with the PostgreSQL database of an active/passive pair failed (docs/HA.md); `database` is
    /// `HOST:PORT/DB`, never the URL (it may carry a password).
    case database(database: String, step: String, reason: String)
    /// The database's schema was made by a newer ssowatch (exit status 78); it is left untouched.
    case newerSchema(found: Int, supported: Int, database: String)
    /// Another instance became the leader (a newer leadership epoch): this one must stop writing and
    /// delivering (docs/HA.md, fencing).
    case deposed(database: String, epoch: Int, current: Int?)

    /// The file concerned.
    public var path: String {
        switch self {
        case .newerVersion(_, _, let path), .readFailed(let path, _), .moveAsideFailed(let path, _, _),
            .writeFailed(let path, _, _), .locked(let path, _, _),
            .lockFailed(let path, _, _), .database(let path, _, _), .newerSchema(_, _, let path),
            .deposed(let path, _, _):
            return path
        }
    }

    /// The operating system's reason alone, for one-line summaries (`No space left on device (errno 28)`).
    public var shortReason: String {
        switch self {
        case .writeFailed(_, _, let reason), .readFailed(_, let reason), .lockFailed(_, _, let reason),
            .moveAsideFailed(_, _, let reason), .database(_, _, let reason):
            return reason
        case .newerVersion, .locked, .newerSchema, .deposed:
            return description
        }
    }

    public var description: String {
        switch self {
        case .newerVersion(let found, let supported, let path):
            return "\(path): the state file was written by a newer version of ssowatch (format version \(found); "
                + "this version understands up to \(supported)). It was left untouched. Upgrade ssowatch, or move "
                + "the file aside to start afresh (connectors are then re-baselined silently and queued "
                + "notifications are lost)."
        case .readFailed(let path, let reason):
            return "cannot read the state file \(path): \(reason). Check that the service user can read the "
                + "file and its directory."
        case .moveAsideFailed(let path, let destination, let reason):
            return "\(path): the state file is corrupt and could not be moved aside to \(destination): \(reason). "
                + "Check that its directory is writable, or move the file away yourself."
        case .writeFailed(let path, let step, let reason):
            return "cannot write the state file \(path) (\(step)): \(reason). Check that the directory exists and "
                + "is writable by the service user and that the file system is not full or read-only."
        case .locked(let path, let lockPath, let pid):
            let owner = pid.map { "process \($0)" } ?? "another process"
            return "the state file \(path) is in use by \(owner) (it holds \(lockPath)): another ssowatch run is "
                + "already watching with this state. Stop it first, or give this one its own state_file."
        case .lockFailed(let path, let lockPath, let reason):
            return "cannot lock the state file \(path) through \(lockPath): \(reason). Check that the directory is "
                + "writable by the service user."
        case .database(let database, let step, let reason):
            return "PostgreSQL \(database) (\(step)): \(reason)"
        case .newerSchema(let found, let supported, let database):
            return "PostgreSQL \(database): the ssowatch schema was made by a newer version of ssowatch (schema "
                + "version \(found); this version understands up to \(supported)). It was left untouched. Upgrade "
                + "ssowatch on this host."
        case .deposed(let database, let epoch, let current):
            guard epoch > 0 else {
                return
                    "PostgreSQL \(database): this instance does not lead the pair now; it writes and delivers nothing"
            }
            let now = current.map { "; the database is at epoch \($0)" } ?? ""
            return "PostgreSQL \(database): this instance led in epoch \(epoch), which has ended\(now): another "
                + "instance leads now; this one stops writing and delivering"
        }
    }
}
