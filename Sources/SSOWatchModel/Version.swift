/// The version of ssowatch, reported by `--version` and in every `User-Agent`.
public enum SSOWatchVersion {
    /// The release string, e.g. `0.1.0`.
    public static let string = "0.1.0"
    /// The `User-Agent` header value sent with every HTTP request.
    public static let userAgent = "ssowatch/\(string)"
}
