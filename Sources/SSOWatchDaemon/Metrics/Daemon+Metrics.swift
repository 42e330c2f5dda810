import Foundation
import Logging
import NIOCore
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchNotify
import SSOWatchState

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's side of `[daemon] metrics_listen`: everything here runs on the daemon's queue and does
/// nothing while metrics are off.
extension Daemon {
    /// Starts, rebinds or stops the metrics endpoint for the current configuration, and refreshes every
    /// state-derived gauge. Called once the configuration is applied, at start-up and after each reload.
    func applyMetricsConfiguration() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let endpoint = configuration.daemon.metricsListen else {
            if let server = metricsServer {
                server.stop()
                logger.info("metrics endpoint closed", metadata: ["address": "\(server.endpoint)"])
            }
            metricsServer = nil
            metrics = nil
            return
        }
        let metrics = self.metrics ?? SSOWatchMetrics()
        self.metrics = metrics
        metrics.configure(configuration)
        metrics.update(from: state, configuration: configuration)
        metrics.setLeader(isLeading)
        // A listener that failed to bind is retried on every reload, even at the same address.
        if let server = metricsServer, server.endpoint == endpoint, server.boundPort != nil { return }
        metricsServer?.stop()
        let server = MetricsServer(endpoint: endpoint) { metrics.render() }
        metricsServer = server
        do {
            try server.start()
            logger.info("serving metrics", metadata: ["url": "\(endpoint.url)"])
        } catch {
            let advice =
                "metrics are not served until a reload (change metrics_listen or free the address, then reload)"
            logger.error(
                "cannot listen for metrics on \(endpoint): \(Self.bindFailure(error)); \(advice)",
                metadata: ["address": "\(endpoint)"])
        }
    }

    /// Closes the metrics endpoint (on stop).
    func stopMetrics() {
        metricsServer?.stop()
        metricsServer = nil
    }

    /// Records a finished poll: its result and duration, the API request's status, the token's
    /// remaining quota, and the account's connector gauges (only that account's: O(its connectors)).
    func recordPollMetrics(
        _ polled: AccountConfig, _ result: Result<ConnectorList, CloudflareAPIError>, duration: Duration
    ) {
        guard let metrics else { return }
        // A reload may have renamed the account while its request was in flight.
        let current = accounts[polled.accountID]?.config
        let name = current?.name ?? polled.name
        let quota: RateLimitStatus?
        switch result {
        case .success(let list):
            metrics.recordAPIRequest(code: 200)
            metrics.recordPoll(account: name, result: .success, duration: duration)
            quota = list.rateLimit
        case .failure(let error):
            metrics.recordAPIRequest(code: error.httpStatus)
            metrics.recordPoll(account: name, result: .error, duration: duration)
            quota = error.rateLimit
        }
        if let quota {
            let sharing = configuration.accounts.filter { $0.enabled && $0.token.value == polled.token.value }
            metrics.updateRateLimit(accountNames: sharing.map(\.name), remaining: quota.remaining)
        }
        if let current {
            metrics.update(account: current, state: state.accounts[current.accountID])
        }
        metrics.setOutboxEvents(state.outbox.count)
    }

    /// Records the outcome of one delivery attempt for the `count` events it carried.
    func recordDeliveryMetrics(webhook: String, outcome: DeliveryOutcome, count: Int) {
        guard let metrics else { return }
        let result: SSOWatchMetrics.NotificationResult
        switch outcome {
        case .delivered: result = .delivered
        case .retryAfter, .transient: result = .retry
        case .permanent: result = .failed
        }
        metrics.recordNotification(webhook: webhook, result: result, count: count)
        metrics.setOutboxEvents(state.outbox.count)
    }

    /// Records notifications given up on (too old, or their webhook is gone).
    func recordDroppedMetrics(_ entries: [OutboxEntry]) {
        guard let metrics, !entries.isEmpty else { return }
        for entry in entries {
            metrics.recordNotification(webhook: entry.webhook, result: .dropped)
        }
        metrics.setOutboxEvents(state.outbox.count)
    }

    /// `Address already in use`, rather than NIO's `bind(descriptor:ptr:bytes:): … (errno: 98)`.
    static func bindFailure(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }
}
