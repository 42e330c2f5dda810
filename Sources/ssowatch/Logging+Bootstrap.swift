import Logging
import SSOWatchDaemon
import SSOWatchSimulator

/// Log records go to the journal with structured fields when stderr is the journal, else to
/// stderr as plain lines. The level comes from `log_level` (the daemon sets it on its logger).
/// SIGPIPE is ignored first: a log line to a stderr nobody reads any more is dropped, not fatal.
func bootstrapLogging() {
    LogOutput.ignoreBrokenPipes()
    let journal = JournalLogHandler.stderrIsJournal()
    LoggingSystem.bootstrap { label -> any LogHandler in
        journal ? JournalLogHandler(level: .info) : StderrLogHandler(label: label, level: .info)
    }
}
