import CSystemd
import Foundation
import Logging
import SSOWatchConfig
import SSOWatchModel
import SSOWatchState

/// Sends log records to the systemd journal with structured fields, so that
/// `journalctl -u ssowatch SSOWATCH_DOMAIN=example.com` finds every line about a domain.
///
/// Metadata keys become `SSOWATCH_<KEY>` fields (`account` → `SSOWATCH_ACCOUNT`, `http.status` →
/// `SSOWATCH_HTTP_STATUS`); the message, priority, identifier and source location use journald's
/// own fields.
public struct JournalLogHandler: MetadataLogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let identifier: String

    /// Creates a handler that logs as `identifier` (`SYSLOG_IDENTIFIER=`).
    public init(identifier: String = "ssowatch", level: Logger.Level) {
        self.identifier = identifier
        self.logLevel = level
    }

    public func log(event: LogEvent) {
        let merged = merged(with: event.metadata)
        let fields = Self.fields(
            message: "\(event.message)", level: event.level, identifier: identifier, metadata: merged,
            file: event.file, line: event.line, function: event.function)
        Self.send(fields)
    }

    /// The journal fields of one record, in order. Pure, for tests.
    public static func fields(
        message: String, level: Logger.Level, identifier: String, metadata: Logger.Metadata, file: String, line: UInt,
        function: String
    ) -> [String] {
        var fields = [
            "MESSAGE=\(message)", "PRIORITY=\(StderrLogHandler.syslogPriority(level))",
            "SYSLOG_IDENTIFIER=\(identifier)", "CODE_FILE=\(file)", "CODE_LINE=\(line)", "CODE_FUNC=\(function)",
        ]
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            fields.append("\(fieldName(key))=\(value)")
        }
        return fields
    }

    /// `http.status` → `SSOWATCH_HTTP_STATUS`: journal field names are upper-case letters, digits
    /// and underscores, not starting with an underscore.
    public static func fieldName(_ key: String) -> String {
        let cleaned = key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }
        return "SSOWATCH_" + String(cleaned)
    }

    /// `sd_journal_sendv`: Swift cannot call the variadic `sd_journal_send`. Values may contain
    /// newlines; the iovec form carries them intact.
    private static func send(_ fields: [String]) {
        let buffers = fields.map { Array($0.utf8) }
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        func build(_ index: Int) {
            guard index < buffers.count else {
                if sd_journal_sendv(vectors, Int32(vectors.count)) < 0 { LogOutput.countDropped() }
                return
            }
            buffers[index].withUnsafeBytes { raw in
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
                build(index + 1)
            }
        }
        build(0)
    }

    /// Whether standard error is connected to the journal: `JOURNAL_STREAM` holds `DEVICE:INODE`
    /// of the stream systemd connected, which must match stderr's (a child process that inherits
    /// the variable but not the stream must not use the journal).
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
