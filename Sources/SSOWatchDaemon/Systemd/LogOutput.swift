import SSOWatchConfig
import SSOWatchModel
import SSOWatchState
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where log lines leave the process, and what happens when they cannot: a line that cannot be written
/// (the reader of stderr went away, a full disk under `StandardError=file:`, a pipe nobody drains) is
/// dropped and counted (`ssowatch_log_lines_dropped_total`), never a crash and never a stalled daemon.
///
/// Foundation's `FileHandle.write` traps on a failed write, and without `SIG_IGN` a write to a closed
/// pipe kills the process with SIGPIPE: `ssowatch` ignores SIGPIPE at start (``ignoreBrokenPipes()``).
public enum LogOutput {
    private static let dropped = Atomic<Int>(0)

    /// How long a line may wait for a pipe with no room before it is dropped.
    static let writeWaitMilliseconds: Int32 = 250

    /// Log lines dropped since the process started.
    public static var droppedLines: Int { dropped.load(ordering: .relaxed) }

    /// Makes a write to a closed pipe or socket fail with `EPIPE` instead of killing the process.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Counts a line that could not be delivered (by any handler).
    public static func countDropped() {
        dropped.add(1, ordering: .relaxed)
    }

    /// Writes `line` to standard error whole, or drops it and counts it.
    public static func writeToStandardError(_ line: String) {
        var bytes = Array(line.utf8)
        if !writeAll(&bytes, to: STDERR_FILENO) { countDropped() }
    }

    /// Writes every byte of `bytes` to `fd`, waiting at most `writeWaitMilliseconds` each time it has no
    /// room; false when the line could not be written whole.
    static func writeAll(_ bytes: inout [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let polled = poll(&ready, 1, writeWaitMilliseconds)
            if polled < 0 && errno == EINTR { continue }
            guard polled > 0, ready.revents & Int16(POLLOUT) != 0 else { return false }
            let written = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
