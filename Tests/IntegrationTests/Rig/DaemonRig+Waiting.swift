import Foundation
import SSOWatchSimulator

// Waiting, with a deadline, for what the daemon does: polls the simulator answers, requests the
// receivers get, datagrams on the NOTIFY_SOCKET, and what `status --json` shows.

extension DaemonRig {
    // MARK: Polls

    /// The list requests of `account` so far.
    func polls(of account: TestAccount) -> [RecordedRequest] {
        apiRequests.value.filter { $0.path == account.listPath }
    }

    /// How many list requests for `account` the simulator has answered so far.
    func pollCount(_ account: TestAccount = .prod) -> Int {
        polls(of: account).count
    }

    /// Waits until `condition` holds for the API requests recorded so far, and returns them.
    @discardableResult
    func waitForAPIRequests(
        _ what: String, timeout: Duration = .seconds(20),
        until condition: @escaping @Sendable ([RecordedRequest]) -> Bool
    ) async throws -> [RecordedRequest] {
        try await apiRequests.wait(
            for: what, timeout: timeout,
            detail: { requests in
                requests.suffix(12).map {
                    "\($0.path.split(separator: "/").dropLast().last ?? "?") → \($0.responseStatus.map(String.init) ?? "dropped")"
                }
                .joined(separator: ", ")
            }, until: condition)
    }

    /// Waits until the simulator has answered `count` more list requests for `account` than `after`.
    func waitForPolls(
        _ account: TestAccount = .prod, count: Int, after: Int = 0, timeout: Duration = .seconds(20)
    ) async throws {
        let path = account.listPath
        try await waitForAPIRequests(
            "\(count) more polls of \(account.name) (after \(after))", timeout: timeout,
            until: { $0.count { $0.path == path } >= after + count })
    }

    /// Waits for `count` more polls of `account` from now: what "a few more poll cycles" means.
    func waitForMorePolls(_ account: TestAccount = .prod, count: Int = 3, timeout: Duration = .seconds(20))
        async throws
    {
        try await waitForPolls(account, count: count, after: pollCount(account), timeout: timeout)
    }

    // MARK: Deliveries

    /// The requests to a path of the first receiver.
    func received(_ path: String) -> [RecordedRequest] {
        deliveries.value.filter { $0.path == path }
    }

    /// Waits until receiver `index` has got `count` requests in total (to `path`, when given; answered
    /// with a 2xx status, when `successfulOnly`) and returns those requests.
    @discardableResult
    func waitForDeliveries(
        to path: String? = nil, count: Int, successfulOnly: Bool = false, receiver index: Int = 0,
        timeout: Duration = .seconds(20)
    ) async throws -> [RecordedRequest] {
        let matches: @Sendable (RecordedRequest) -> Bool = { request in
            (path == nil || request.path == path) && (!successfulOnly || (request.responseStatus ?? 0) / 100 == 2)
        }
        let all = try await receiverLogs[index].wait(
            for: "\(count) \(successfulOnly ? "2xx-answered " : "")requests to \(path ?? "receiver \(index)")",
            timeout: timeout,
            detail: { requests in
                "\(requests.count) requests: "
                    + requests.map { "\($0.path) → \($0.responseStatus.map(String.init) ?? "dropped")" }.joined(
                        separator: ", ")
            },
            until: { $0.count(where: matches) >= count })
        return all.filter(matches)
    }

    /// Waits until the requests receiver `index` got satisfy `condition`, and returns them.
    @discardableResult
    func waitForDeliveries(
        _ what: String, receiver index: Int = 0, timeout: Duration = .seconds(20),
        until condition: @escaping @Sendable ([RecordedRequest]) -> Bool
    ) async throws -> [RecordedRequest] {
        try await receiverLogs[index].wait(
            for: what, timeout: timeout,
            detail: { requests in
                "\(requests.count) requests: "
                    + requests.map { "\($0.responseStatus.map(String.init) ?? "dropped") \($0.bodyString.prefix(120))" }
                    .joined(separator: " | ")
            }, until: condition)
    }

    // MARK: systemd notifications

    /// Waits for a `STATUS=` line containing `text` (e.g. `1 verified, 2 pending`) in a datagram from
    /// index `after` on, and returns that line.
    @discardableResult
    func waitForStatus(containing text: String, after index: Int = 0, timeout: Duration = .seconds(20))
        async throws -> String
    {
        let message = try await notify.waitForMessage(containing: text, after: index, timeout: timeout)
        return message.split(separator: "\n").first { $0.hasPrefix("STATUS=") && $0.contains(text) }.map(String.init)
            ?? message
    }

    /// Every `STATUS=` value received so far, oldest first.
    var statusLines: [String] {
        notify.lines.filter { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst("STATUS=".count)) }
    }

    /// Waits for a `STATUS=` value satisfying `condition` among the datagrams from index `after` on.
    @discardableResult
    func waitForStatusLine(
        _ what: String, after index: Int = 0, timeout: Duration = .seconds(20),
        where condition: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        func statuses(_ datagrams: [String]) -> [String] {
            datagrams.dropFirst(index).flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("STATUS=") }
                .map { String($0.dropFirst("STATUS=".count)) }
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = statuses(notify.received).last(where: condition) { return line }
            guard ContinuousClock.now < deadline else {
                throw HarnessError(
                    "timed out after \(timeout) waiting for a STATUS= line \(what); last: "
                        + (statuses(notify.received).last ?? "(none)"))
            }
            _ = try? await notify.waitForMessage(
                containing: "STATUS=", after: notify.received.count, timeout: .milliseconds(500))
        }
    }

    /// How many `WATCHDOG=1` datagrams arrived from datagram index `after` on.
    func watchdogPings(after index: Int = 0) -> Int {
        notify.received.dropFirst(index).count { $0.split(separator: "\n").contains("WATCHDOG=1") }
    }

    /// Waits until `count` `WATCHDOG=1` datagrams arrived from datagram index `after` on.
    func waitForWatchdogPings(_ count: Int, after index: Int = 0, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = notify.received.count
            let pings = watchdogPings(after: index)
            if pings >= count { return }
            guard ContinuousClock.now < deadline else {
                throw HarnessError("timed out after \(timeout) waiting for \(count) WATCHDOG=1 pings; got \(pings)")
            }
            _ = try? await notify.waitForMessage(containing: "WATCHDOG=1", after: seen, timeout: .milliseconds(250))
        }
    }

    // MARK: status --json

    /// `ssowatch status --json`, which must exit 0, parsed: of the configuration `configPath` (default:
    /// the rig's `configPath`), or of the state file `stateFile` when given.
    func status(configPath: String? = nil, stateFile: String? = nil) async throws -> StatusOutput {
        let source = stateFile.map { ["--state-file", $0] } ?? ["--config", configPath ?? self.configPath]
        let result = try await runSSOWatch(["status", "--json"] + source, timeout: .seconds(30))
        guard result.status == 0 else { throw HarnessError("`ssowatch status --json` failed: \(result)") }
        return try StatusOutput(parsing: result.stdout)
    }

    /// Runs `status --json` until `condition` holds (the daemon writes changes that carry no event
    /// within a few seconds, not at once), and returns that output.
    @discardableResult
    func waitForStatusJSON(
        configPath: String? = nil, stateFile: String? = nil, _ what: String, timeout: Duration = .seconds(20),
        until condition: (StatusOutput) -> Bool
    ) async throws -> StatusOutput {
        let deadline = ContinuousClock.now + timeout
        var last: StatusOutput?
        while ContinuousClock.now < deadline {
            let output = try await status(configPath: configPath, stateFile: stateFile)
            if condition(output) { return output }
            last = output
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError(
            "timed out after \(timeout) waiting for `status --json` to show \(what); last seen:\n"
                + (last?.text ?? "(nothing)"))
    }
}
