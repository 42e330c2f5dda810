/// Exit statuses of the `ssowatch` command (docs/COMMANDS.md; values from BSD `sysexits.h`).
public enum ExitStatus {
    /// Success.
    public static let success: Int32 = 0
    /// A runtime failure.
    public static let failure: Int32 = 1
    /// A usage error (EX_USAGE).
    public static let usage: Int32 = 64
    /// The API or a webhook was unreachable or refused (EX_UNAVAILABLE).
    public static let unavailable: Int32 = 69
    /// Another `ssowatch run` holds the same state file (EX_TEMPFAIL).
    public static let locked: Int32 = 75
    /// A configuration error, or a state file from a newer version (EX_CONFIG).
    public static let config: Int32 = 78
}
