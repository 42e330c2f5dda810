import CSystemd
import Foundation
import SSOWatchState

/// Talks to the service manager (`sd_notify`). Injected so tests can record what is sent.
public protocol ServiceNotifier: Sendable {
    /// Sends one notification, e.g. `READY=1\nSTATUS=…`. Does nothing without `NOTIFY_SOCKET`.
    func notify(_ state: String)
    /// The watchdog timeout systemd expects pings within, or `nil` when the watchdog is off.
    func watchdogTimeout() -> TimeInterval?
}

/// The real notifier: libsystemd's `sd_notify` and `sd_watchdog_enabled`.
public struct SystemdNotifier: ServiceNotifier {
    /// Creates the notifier.
    public init() {}

    public func notify(_ state: String) {
        // Newlines inside a STATUS= value would start a new assignment.
        _ = state.withCString { sd_notify(0, $0) }
    }

    public func watchdogTimeout() -> TimeInterval? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return TimeInterval(usec) / 1_000_000
    }

    /// `CLOCK_MONOTONIC` in microseconds, for `MONOTONIC_USEC=` on reload.
    public static func monotonicMicroseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000 + UInt64(spec.tv_nsec) / 1000
    }

    /// A `STATUS=` value on one line (systemd reads one assignment per line).
    public static func statusLine(_ text: String) -> String {
        "STATUS=" + text.replacingOccurrences(of: "\n", with: " ")
    }
}
