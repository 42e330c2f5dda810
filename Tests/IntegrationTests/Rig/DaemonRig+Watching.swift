import Foundation
import SSOWatchSimulator

// A daemon already watching the rig's connectors (`withDaemonRig(connectors:)`), for tests about what
// happens after a change: every `flip` is one event.

extension DaemonRig {
    /// The `[daemon]` keys of `watchingConfig`: fast polls without jitter, every other key at its
    /// default (the webhook tests rely on the default request timeout).
    static let pollingSettings: [ConfigFile.Setting] = [("poll_interval", "1s"), ("jitter", "0")]

    /// `TestAccount.prod` polled every second with `daemonSettings`, notifying `webhooks` on the
    /// receivers.
    func watchingConfig(webhooks: [TestWebhook], _ daemonSettings: [ConfigFile.Setting] = []) -> ConfigFile {
        config(accounts: [.prod], daemonSettings, defaults: Self.pollingSettings).webhooks(webhooks, on: receivers)
    }

    /// Writes `watchingConfig`, runs `beforeStart` (to seed a state file or program the receivers, for
    /// instance), starts `ssowatch run`, waits for `READY=1` and the baseline poll, and runs `body`; the
    /// daemon is killed and reaped afterwards if still running.
    func withWatchingDaemon<T>(
        webhooks: [TestWebhook], _ daemonSettings: [ConfigFile.Setting] = [],
        beforeStart: (DaemonRig) throws -> Void = { _ in }, _ body: (SSOWatchProcess) async throws -> T
    ) async throws -> T {
        let configPath = try watchingConfig(webhooks: webhooks, daemonSettings).write(to: directory)
        try beforeStart(self)
        return try await withDaemon(configPath) { daemon in
            try await notify.waitForMessage(containing: "READY=1", timeout: .seconds(30))
            // The first list is the baseline; its answer is fixed once counted, so a flip from here on
            // is seen by a later poll.
            try await simulator.waitForRequests(count: 1, timeout: .seconds(20))
            return try await body(daemon)
        }
    }

    /// Sets one of the rig's connectors (by index) to `status`; the next poll turns it into one event.
    func flip(_ index: Int, to status: String) {
        set(.prod, connectorIDs[index], status)
    }

    /// Sets the statuses of several connectors (by index) so that one poll sees all of the changes.
    ///
    /// Polls are failed (503) while the statuses change, so no list can show only some of them.
    func flipTogether(_ changes: [(index: Int, status: String)]) {
        simulator.injectFault(.httpStatus(503, body: "{}"), times: 1_000_000, accountID: TestAccount.prod.id)
        for change in changes { flip(change.index, to: change.status) }
        simulator.clearFaults()
    }
}

/// `withDaemonRig` and `withWatchingDaemon` in one: a daemon watching one `pending` connector of
/// `TestAccount.prod` per domain, already past its baseline poll, notifying `webhooks` on `receivers`
/// receivers.
func withWatchingDaemon<T>(
    domains: [String] = ["example.com"], webhooks: [TestWebhook], receivers: Int = 1,
    daemonSettings: [ConfigFile.Setting] = [], beforeStart: (DaemonRig) throws -> Void = { _ in },
    _ body: (DaemonRig, SSOWatchProcess) async throws -> T
) async throws -> T {
    try await withDaemonRig(connectors: domains, receivers: receivers) { rig in
        try await rig.withWatchingDaemon(webhooks: webhooks, daemonSettings, beforeStart: beforeStart) { daemon in
            try await body(rig, daemon)
        }
    }
}
