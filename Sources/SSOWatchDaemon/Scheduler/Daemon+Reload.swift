import Dispatch
import Foundation
import Logging
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

extension Daemon {
    // MARK: - Reload

    func performReload() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard case .running = lifecycle else { return }
        dependencies.notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
        do {
            var newConfiguration = try dependencies.loadConfiguration()
            if newConfiguration.daemon.haPostgres != configuration.daemon.haPostgres {
                logger.warning(
                    "ha_postgres_url changed: it takes effect at the next start (docs/HA.md); keeping the current one")
                // The store and the lease were made from the current one: the configuration keeps saying so.
                newConfiguration.daemon.haPostgres = configuration.daemon.haPostgres
            }
            if lease == nil && newConfiguration.daemon.stateFile != configuration.daemon.stateFile {
                let newStore = dependencies.makeStateStore(newConfiguration)
                _ = try newStore.acquireLock()
                saveState()
                store = newStore
                markDirty()
            }
            configuration = newConfiguration
            logger.logLevel = newConfiguration.daemon.logLevel.loggerLevel
            for warning in newConfiguration.warnings {
                logger.warning("\(warning.description)")
            }
            reloadFailure = nil
            applyConfiguration(newConfiguration, isReload: true)
            applyMetricsConfiguration()
            logger.info("configuration reloaded", metadata: ["path": "\(newConfiguration.path)"])
        } catch {
            let message = (error as? ConfigError)?.description ?? "\(error)"
            reloadFailure = message
            logger.error("reload failed, running the previous configuration: \(message)")
        }
        dependencies.notifier.notify("READY=1\n" + SystemdNotifier.statusLine(statusText()))
        lastStatus = nil
        pumpDeliveries()
    }

    /// The `STATUS=` text: the poll summary, prefixed by a failed reload while there is one.
    func statusText() -> String {
        if let standby = standbyStatus {
            return reloadFailure.map { "reload failed: \($0); running the previous configuration; \(standby)" }
                ?? standby
        }
        if statusTally == nil { statusTally = StatusTally(state: state, configuration: configuration) }
        var summary = statusTally?.render(state: state, configuration: configuration) ?? ""
        if health.lastError != nil {
            let count = undurableEvents.count
            let held = count == 0 ? "" : " (\(count) notification\(count == 1 ? "" : "s") held)"
            summary = "state not saved\(held): \(StatusLine.shorten(saveFailureReason)); \(summary)"
        }
        guard let reloadFailure else { return summary }
        return "reload failed: \(reloadFailure); running the previous configuration; \(summary)"
    }

    /// Sends `STATUS=` after a poll or delivery. An unchanged line is sent again at most once a second:
    /// systemd already shows it, and each datagram costs a socket of its own (`sd_notify`), which with
    /// thousands of accounts was a quarter of the daemon's system calls (BENCHMARKS.md).
    func publishStatus() {
        let text = statusText()
        let now = dependencies.now()
        if text == lastStatus?.text, let sent = lastStatus?.sent, abs(now.timeIntervalSince(sent)) < 1 { return }
        lastStatus = (text, now)
        dependencies.notifier.notify(SystemdNotifier.statusLine(text))
    }
}
