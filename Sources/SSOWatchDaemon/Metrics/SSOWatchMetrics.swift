import Foundation
import Prometheus
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
import Synchronization

/// The daemon's Prometheus metrics (`[daemon] metrics_listen`).
///
/// Counters, the poll-duration histogram and the gauges the daemon sets live in a
/// `PrometheusCollectorRegistry` owned by this object (never a process-wide one, so tests can make as
/// many as they like). The gauges that mirror the state file — connector statuses, account failure
/// streaks — are kept as values per account and rendered at scrape time (see ``StateGauges``).
///
/// Safe to use from any thread: the daemon records on its queue, the HTTP listener renders on its own.
/// Labels carry account, webhook and domain names, never a token or a URL.
public final class SSOWatchMetrics: Sendable {
    /// How a poll ended.
    public enum PollResult: String, Sendable, CaseIterable {
        case success, error
    }

    /// What happened to a notification (one event for one webhook).
    public enum NotificationResult: String, Sendable, CaseIterable {
        /// A 2xx answer.
        case delivered
        /// A transient failure or a 429; it will be retried.
        case retry
        /// A permanent refusal (4xx); held until the webhook's URL changes or `delivery_max_age` passes.
        case failed
        /// Given up on (`delivery_max_age` passed, or its webhook is no longer configured).
        case dropped
    }

    /// The registry holding the counters, the histogram and the daemon-set gauges.
    public let registry: PrometheusCollectorRegistry
    private let pollDuration: DurationHistogram
    private let outboxEvents: Gauge
    private let stateWriteFailures: Counter
    private let leader: Gauge

    /// Label values currently exported, to remove the series of what a reload took away.
    private struct Known {
        var accounts: Set<String> = []
        var webhooks: Set<String> = []
        var rateLimitTokens: Set<String> = []
    }

    private let known = Mutex(Known())
    private let stateGauges = Mutex(StateGauges())

    /// Creates the metrics with a registry of their own (or a given one, in tests).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        pollDuration = registry.makeDurationHistogram(
            descriptor: Family.pollDuration.descriptor,
            buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map { Duration.milliseconds(Int64($0 * 1000)) })
        outboxEvents = registry.makeGauge(descriptor: Family.outboxEvents.descriptor)
        stateWriteFailures = registry.makeCounter(descriptor: Family.stateWriteFailures.descriptor)
        leader = registry.makeGauge(descriptor: Family.leader.descriptor)
        leader.set(to: 1)
        // At 0 from the start, so that `increase()` works from the first scrape.
        for outcome in AutoBeginOutcome.allCases { _ = autoBeginCounter(outcome) }
        registry.makeGauge(descriptor: Family.buildInfo.descriptor, labels: [("version", SSOWatchVersion.string)])
            .set(to: 1)
    }

    // MARK: Recording

    /// Counts one poll of `account` and records how long its request took.
    public func recordPoll(account: String, result: PollResult, duration: Duration) {
        pollsCounter(account: account, result: result).increment()
        pollDuration.record(duration)
    }

    /// Counts one Cloudflare API request by HTTP status; `nil` (no response) counts as `error`.
    public func recordAPIRequest(code: Int?) {
        registry.makeCounter(
            descriptor: Family.apiRequests.descriptor, labels: [("code", code.map(String.init) ?? "error")]
        ).increment()
    }

    /// Counts `count` notifications to `webhook` that ended with `result`.
    public func recordNotification(webhook: String, result: NotificationResult, count: Int = 1) {
        notificationsCounter(webhook: webhook, result: result).increment(by: Int64(count))
    }

    /// Sets the number of undelivered (event, webhook) notifications.
    public func setOutboxEvents(_ count: Int) {
        outboxEvents.set(to: Double(count))
    }

    /// Records the `Ratelimit` header's remaining requests for the token that `accountNames` share.
    ///
    /// The series is labelled with the first of those names (in configuration order), never the token.
    public func updateRateLimit(accountNames: [String], remaining: Int) {
        guard let label = accountNames.first else { return }
        known.withLock { _ = $0.rateLimitTokens.insert(label) }
        registry.makeGauge(descriptor: Family.rateLimitRemaining.descriptor, labels: [("token", label)])
            .set(to: Double(remaining))
    }

    // MARK: State

    /// Brings the label sets in line with a (re)loaded configuration: every enabled account's poll
    /// counters and every webhook's notification counters exist from the start (at 0, so that
    /// `increase()` works from the first scrape), and the series of removed accounts and webhooks,
    /// and of tokens no longer used, go away.
    public func configure(_ configuration: Configuration) {
        let accounts = Set(configuration.accounts.filter(\.enabled).map(\.name))
        let webhooks = Set(configuration.webhooks.map(\.name))
        let tokens = Set(Self.tokenLabels(configuration).values)
        let (previous, staleTokens) = known.withLock { known in
            let previous = known
            known = Known(
                accounts: accounts, webhooks: webhooks, rateLimitTokens: known.rateLimitTokens.intersection(tokens))
            return (previous, previous.rateLimitTokens.subtracting(tokens))
        }
        for name in previous.accounts.subtracting(accounts) {
            for result in PollResult.allCases {
                registry.unregisterCounter(pollsCounter(account: name, result: result))
            }
        }
        for name in previous.webhooks.subtracting(webhooks) {
            for result in NotificationResult.allCases {
                registry.unregisterCounter(notificationsCounter(webhook: name, result: result))
            }
        }
        for label in staleTokens {
            registry.unregisterGauge(
                registry.makeGauge(descriptor: Family.rateLimitRemaining.descriptor, labels: [("token", label)]))
        }
        for name in accounts { for result in PollResult.allCases { _ = pollsCounter(account: name, result: result) } }
        for name in webhooks {
            for result in NotificationResult.allCases { _ = notificationsCounter(webhook: name, result: result) }
        }
    }

    /// Replaces every state-derived gauge: the enabled accounts' connectors and failure streaks, and
    /// the outbox size. For start-up and reloads; after a poll, ``update(account:state:)`` is enough.
    public func update(from state: StateDocument, configuration: Configuration) {
        var gauges = StateGauges()
        for account in configuration.accounts where account.enabled {
            gauges.accounts[account.accountID] = StateGauges.account(account, state: state.accounts[account.accountID])
        }
        stateGauges.withLock { $0 = gauges }
        setOutboxEvents(state.outbox.count)
    }

    /// Replaces one enabled account's state-derived gauges (after its poll); O(its connectors).
    public func update(account: AccountConfig, state: AccountState?) {
        let series = StateGauges.account(account, state: state)
        stateGauges.withLock { $0.accounts[account.accountID] = series }
    }

    /// The first enabled account name of each token, keyed by the token: the `token` label.
    static func tokenLabels(_ configuration: Configuration) -> [String: String] {
        var labels: [String: String] = [:]
        for account in configuration.accounts where account.enabled && labels[account.token.value] == nil {
            labels[account.token.value] = account.name
        }
        return labels
    }

    // MARK: Output

    /// Whether this instance leads its active/passive pair (docs/HA.md); always 1 without one.
    public func setLeader(_ leading: Bool) {
        leader.set(to: leading ? 1 : 0)
    }

    /// Counts one outcome of verification assistance (docs/CONFIGURATION.md): a call Cloudflare accepted or
    /// refused, a failed one, or the call `dry-run` would have made.
    public func recordAutoBegin(_ outcome: AutoBeginOutcome) {
        autoBeginCounter(outcome).increment()
    }

    /// Counts a state write (journal append or whole rewrite) that failed.
    public func recordStateWriteFailure() {
        stateWriteFailures.increment()
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4).
    public func render() -> String {
        var text = registry.emitToString()
        stateGauges.withLock { $0 }.render(into: &text)
        text += "# HELP ssowatch_log_lines_dropped_total Log lines that could not be written (stderr closed, full or "
        text += "stalled) and were dropped.\n"
        text += "# TYPE ssowatch_log_lines_dropped_total counter\n"
        text += "ssowatch_log_lines_dropped_total \(LogOutput.droppedLines)\n"
        return text
    }

    private func autoBeginCounter(_ outcome: AutoBeginOutcome) -> Counter {
        registry.makeCounter(descriptor: Family.autoBegin.descriptor, labels: [("outcome", outcome.rawValue)])
    }

    private func pollsCounter(account: String, result: PollResult) -> Counter {
        registry.makeCounter(
            descriptor: Family.polls.descriptor, labels: [("account", account), ("result", result.rawValue)])
    }

    private func notificationsCounter(webhook: String, result: NotificationResult) -> Counter {
        registry.makeCounter(
            descriptor: Family.notifications.descriptor, labels: [("webhook", webhook), ("result", result.rawValue)])
    }

    /// Names and help texts, in one place: the registry refuses a second help text for a name.
    private enum Family: String {
        case polls = "polls_total"
        case pollDuration = "poll_duration_seconds"
        case apiRequests = "api_requests_total"
        case notifications = "notifications_total"
        case outboxEvents = "outbox_events"
        case rateLimitRemaining = "rate_limit_remaining"
        case buildInfo = "build_info"
        case stateWriteFailures = "state_write_failures_total"
        case leader = "leader"
        case autoBegin = "auto_begin_total"

        var help: String {
            switch self {
            case .polls: "Polls of each account, by result."
            case .pollDuration: "How long each poll's API request took."
            case .apiRequests: "Cloudflare API requests by HTTP status (error: no response)."
            case .notifications: "Notifications (one event for one webhook) by result."
            case .outboxEvents: "Notifications not delivered yet."
            case .rateLimitRemaining: "Requests left in each API token's quota, the token named by its first account."
            case .buildInfo: "Always 1; the version label says which ssowatch is running."
            case .stateWriteFailures: "Writes of the state file or its journal that failed (they are retried)."
            case .leader:
                "1 when this instance polls and delivers (the leader of an HA pair, or no pair), 0 on a standby."
            case .autoBegin: "begin_verification calls of verification assistance by outcome (would_call: dry-run)."
            }
        }

        var descriptor: MetricNameDescriptor {
            MetricNameDescriptor(namespace: "ssowatch", metricName: rawValue, unitName: "", helpText: help)
        }
    }
}
