import Foundation
import Logging
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchNotify
@testable import SSOWatchState

@Suite struct JournalLogHandlerTests {
    @Test func metadataBecomesStructuredFields() {
        let fields = JournalLogHandler.fields(
            message: "example.com is verified", level: .info, identifier: "ssowatch",
            metadata: ["domain": "example.com", "account": "prod", "http.status": "403"], file: "Daemon.swift",
            line: 42, function: "finishPoll")
        #expect(
            fields == [
                "MESSAGE=example.com is verified", "PRIORITY=6", "SYSLOG_IDENTIFIER=ssowatch", "CODE_FILE=Daemon.swift",
                "CODE_LINE=42", "CODE_FUNC=finishPoll", "SSOWATCH_ACCOUNT=prod", "SSOWATCH_DOMAIN=example.com",
                "SSOWATCH_HTTP_STATUS=403",
            ])
    }

    @Test func fieldNamesAreJournalSafe() {
        #expect(JournalLogHandler.fieldName("event_id") == "SSOWATCH_EVENT_ID")
        #expect(JournalLogHandler.fieldName("retry-in") == "SSOWATCH_RETRY_IN")
        #expect(JournalLogHandler.fieldName("dömain") == "SSOWATCH_D_MAIN")
    }

    @Test func priorities() {
        #expect(
            [Logger.Level.debug, .info, .notice, .warning, .error, .critical].map(StderrLogHandler.syslogPriority)
                == [7, 6, 5, 4, 3, 2])
    }

    @Test func journalIsUsedOnlyWhenStderrIsTheAdvertisedStream() {
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        var info = stat()
        #expect(fstat(STDERR_FILENO, &info) == 0)
        let matching = "\(info.st_dev):\(info.st_ino)"
        #expect(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": matching]))
        #expect(
            !JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
    }
}
