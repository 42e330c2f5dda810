import Foundation
import Logging
import SSOWatchConfig
import SSOWatchState

/// Plain log lines on standard error: `<6>info: message key=value …`. The `<N>` prefix is the
/// syslog priority, which journald and most log collectors understand; it is left out on a
/// terminal, where people read the lines directly.
public struct StderrLogHandler: MetadataLogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let withPriorityPrefix: Bool

    /// Creates a handler.
    public init(label: String, level: Logger.Level, priorityPrefix: Bool = isatty(STDERR_FILENO) == 0) {
        self.label = label
        self.logLevel = level
        self.withPriorityPrefix = priorityPrefix
    }

    public func log(event: LogEvent) {
        let merged = merged(with: event.metadata)
        var line = withPriorityPrefix ? "<\(Self.syslogPriority(event.level))>" : ""
        line += "\(Self.name(event.level)): \(event.message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quote(merged[key].map { "\($0)" } ?? ""))"
        }
        line += "\n"
        LogOutput.writeToStandardError(line)
    }

    /// The syslog priority journald uses (`PRIORITY=`).
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private static func name(_ level: Logger.Level) -> String {
        level == .warning ? "warning" : level.rawValue
    }

    private static func quote(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}

extension LogLevelSetting {
    /// The swift-log level for this setting (`notice` maps to swift-log's `notice`).
    public var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
