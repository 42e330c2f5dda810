import Foundation
import SSOWatchSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// docs/MONITORING.md and §6 under SIGKILL: the state file is always whole, one transition is one event with
/// one id forever, every recorded event is delivered at least once, and the only duplicate a
/// receiver sees is a redelivery of the one request in flight when the daemon was killed.
@Suite struct CrashSafetyTests {
    static let statuses = ["pending", "verified", "failed", "awaiting"]
    static let webhookPaths = ["/crash/a", "/crash/b"]

    @Test(.timeLimit(.minutes(2)))
    func killingTheDaemonAtRandomMomentsNeverCorruptsLosesOrDuplicatesAnEvent() async throws {
        let seed =
            ProcessInfo.processInfo.environment["SSOWATCH_CRASH_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...UInt64.max)
        do {
            try await run(seed: seed)
        } catch {
            throw HarnessError("crash test with SSOWATCH_CRASH_SEED=\(seed): \(error)")
        }
    }

    /// One daemon run between a start and a kill.
    struct Run {
        var started: Date
        var killed: Date?
    }

    private func run(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let note = "SSOWATCH_CRASH_SEED=\(seed)"
        try await withDaemonRig { rig in
            let accounts = [
                TestAccount.make("crash", 1, token: "cfut_crash_shared_91ab"),
                TestAccount.make("crash", 2, token: "cfut_crash_shared_91ab"),
                TestAccount.make("crash", 3, token: "cfut_crash_own_23cd"),
            ]
            rig.register(accounts)
            var connectors: [(account: TestAccount, id: String)] = []
            for account in accounts {
                for index in 1...2 {
                    let id = rig.simulator.addConnector(
                        accountID: account.id, domain: "\(account.name)-\(index).example", status: "pending")
                    connectors.append((account, id))
                }
            }
            var config = rig.config(accounts: accounts, [("rate_limit", "100/10s")])
            for (index, path) in Self.webhookPaths.enumerated() {
                config = config.webhook(
                    "hook\(index)", type: "generic", url: rig.receiver.url(path: path),
                    [("events", "all"), ("timeout", "2s")])
            }
            let configPath = try config.write(to: rig.directory)

            // A daemon that has been running for a while: every account's baseline is on disk (a
            // baseline is written by the periodic flush, or here by a clean stop).
            let warmUp = try rig.startDaemon(configPath)
            try await rig.waitForStatusLine("with every account's baseline") {
                $0.hasPrefix("6 connectors in 3 accounts: 6 pending")
            }
            warmUp.signal(SIGTERM)
            let warmedUp = try await warmUp.waitForExit(timeout: .seconds(15))
            #expect(warmedUp.status == 0, "\(warmedUp)")

            // Cloudflare changes statuses all along (each connector at most every 1.2 s, so two
            // transitions out of one status never start in the same second), and the receiver flaps.
            let flipper = Task { [rig, connectors] in
                var random = SeededGenerator(seed: seed &+ 1)
                var lastFlip: [String: ContinuousClock.Instant] = [:]
                var flips = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 120...320, using: &random)))
                    let now = ContinuousClock.now
                    let ready = connectors.filter { lastFlip[$0.id].map { now - $0 >= .milliseconds(1200) } ?? true }
                    guard let pick = ready.randomElement(using: &random), !Task.isCancelled else { continue }
                    let current = rig.simulator.connector(accountID: pick.account.id, id: pick.id)?.status
                    let next = Self.statuses.filter { $0 != current }.randomElement(using: &random)!
                    rig.simulator.setStatus(accountID: pick.account.id, connectorID: pick.id, status: next)
                    lastFlip[pick.id] = now
                    flips += 1
                }
                return flips
            }
            let flapper = Task { [rig] in
                var random = SeededGenerator(seed: seed &+ 2)
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 300...1200, using: &random)))
                    rig.receiver.down(dropConnections: Bool.random(using: &random))
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 150...600, using: &random)))
                    rig.receiver.up()
                }
            }
            defer {
                flipper.cancel()
                flapper.cancel()
            }

            var runs: [Run] = []
            var recorded: Set<String> = []
            let kills = Int.random(in: 15...22, using: &random)
            for kill in 1...kills {
                let delay = Int.random(in: 50...800, using: &random)
                let daemon = try rig.startDaemon(configPath)
                runs.append(Run(started: Date()))
                // The point of this test: a kill at an arbitrary moment.
                try await Task.sleep(for: .milliseconds(delay))
                runs[runs.count - 1].killed = Date()
                daemon.signal(SIGKILL)
                let result = try await daemon.waitForExit(timeout: .seconds(10))
                #expect(result.signal == SIGKILL, "run \(kill) ended by itself before the kill: \(result) [\(note)]")
                let exitedEarly = result.signal != SIGKILL
                if exitedEarly { break }

                #expect(
                    corruptFiles(in: rig.directory).isEmpty, "a state file was moved aside (kill \(kill)) [\(note)]")
                let status = try await runSSOWatch(["status", "--json", "--config", configPath])
                #expect(status.status == 0, "status after kill \(kill) after \(delay) ms: \(status) [\(note)]")
                _ = try StatusOutput(parsing: status.stdout)
                if rig.directory.exists("state.json") {
                    recorded.formUnion(try Self.eventIDs(inStateFile: rig.statePath))
                }
            }
            flipper.cancel()
            let flips = await flipper.value
            flapper.cancel()
            await flapper.value
            rig.receiver.up()

            // A last run with everything up, until it has caught up with Cloudflare and delivered all.
            let final = try rig.startDaemon(configPath)
            runs.append(Run(started: Date()))
            let expected = Dictionary(
                connectors.map { ($0.id, rig.simulator.connector(accountID: $0.account.id, id: $0.id)?.status ?? "?") },
                uniquingKeysWith: { first, _ in first })
            let quiescent = try await rig.waitForStatusJSON(
                configPath:
                    configPath, "every connector's latest status and an empty outbox", timeout: .seconds(45)
            ) { status in
                status.outbox == 0 && status.statuses == expected
            }
            #expect(quiescent.outbox == 0, "\(note)")
            final.signal(SIGTERM)
            let stopped = try await final.waitForExit(timeout: .seconds(15))
            #expect(stopped.status == 0, "the final run stops cleanly: \(stopped) [\(note)]")
            #expect(!stopped.stderr.contains("was corrupt"), "\(note)")
            #expect(corruptFiles(in: rig.directory).isEmpty, "\(note)")
            let finalStatus = try await rig.status(configPath: configPath)
            #expect(finalStatus.outbox == 0, "\(finalStatus.text) [\(note)]")
            recorded.formUnion(try Self.eventIDs(inStateFile: rig.statePath))

            try check(
                received: rig.deliveries.value, recorded: recorded, runs: runs, note: note,
                summary: "seed \(seed): \(kills) kills, \(flips) flips")
        }
    }

    @Test func aTransitionRightAfterTheFirstBaselineIsAnnouncedDespiteAKill() async throws {
        try await withDaemonRig { rig in
            let account = TestAccount.make("fresh", 1, token: "cfut_crash_fresh_45ef")
            rig.register([account])
            let connector = rig.simulator.addConnector(
                accountID: account.id, domain: "fresh.example", status: "pending")
            let path = try rig.auditedConfig(accounts: [account], [("poll_interval", "1m")]).write(to: rig.directory)

            // The very first run baselines `pending`; Cloudflare verifies the domain before the next
            // poll, and the daemon is killed before it sees the change.
            let first = try rig.startDaemon(path)
            try await rig.waitForStatusLine("after the baseline") {
                $0.hasPrefix("1 connector in 1 account: 1 pending")
            }
            rig.simulator.setStatus(accountID: account.id, connectorID: connector, status: "verified")
            first.signal(SIGKILL)
            try await first.waitForExit(timeout: .seconds(10))
            #expect(rig.polls(of: account).count == 1, "the kill came before a second poll")

            try await rig.withDaemon(path) { _ in
                // The first baseline is written at once, so the second run compares with it and
                // announces the change made while the daemon was down.
                try await rig.waitForStatusLine("the second run's first poll") {
                    $0.hasPrefix("1 connector in 1 account: 1 verified")
                }
                let delivered = try await rig.waitForDeliveries(count: 1, timeout: .seconds(10))
                #expect(delivered.first?.jsonObject?["type"] as? String == "connector.verified")
            }
        }
    }

    /// The delivery guarantees, from what the receiver got and what the state file recorded.
    private func check(
        received: [RecordedRequest], recorded: Set<String>, runs: [Run], note: String, summary: String
    ) throws {
        #expect(recorded.count >= 5, "too few transitions to prove anything (\(summary)) [\(note)]")
        func runIndex(_ date: Date) -> Int { runs.lastIndex { $0.started <= date } ?? 0 }

        var successes: [String: [String: [Date]]] = [:]
        var eventsBySource: [String: Set<String>] = [:]
        for request in received {
            let id = try #require(request.header("webhook-id"), "a webhook request without webhook-id [\(note)]")
            #expect(recorded.contains(id), "\(id) was sent but never recorded in the state file [\(note)]")
            if let status = request.responseStatus, (200..<300).contains(status) {
                successes[request.path, default: [:]][id, default: []].append(request.receivedAt)
            }
            // A transition is the connector leaving a status it entered at a given time for another.
            let data = try #require(request.jsonObject?["data"] as? [String: Any], "\(note)")
            let connector = (data["connector"] as? [String: Any])?["id"] as? String ?? "?"
            let source = [
                connector, data["previous_status"] as? String ?? "nil",
                data["previous_status_since"] as? String ?? "nil", data["status"] as? String ?? "nil",
            ].joined(separator: " ")
            eventsBySource[source, default: []].insert(id)
        }
        for (source, ids) in eventsBySource {
            #expect(ids.count == 1, "one transition (\(source)) became \(ids.count) events: \(ids) [\(note)]")
        }
        for path in Self.webhookPaths {
            let delivered = successes[path] ?? [:]
            let missing = recorded.subtracting(delivered.keys)
            #expect(missing.isEmpty, "\(path) never got a 2xx for \(missing.sorted()) (\(summary)) [\(note)]")
            var redeliveredPerRun: [Int: Int] = [:]
            for (id, times) in delivered where times.count > 1 {
                let runsOfDelivery = times.map(runIndex)
                #expect(
                    Set(runsOfDelivery).count == times.count,
                    "\(path) got \(id) with a 2xx twice in one run (\(summary)) [\(note)]")
                for run in runsOfDelivery.sorted().dropLast() { redeliveredPerRun[run, default: 0] += 1 }
            }
            for (run, count) in redeliveredPerRun {
                #expect(
                    count <= 1 && runs[run].killed != nil,
                    "\(path): \(count) events of run \(run) delivered again after it ended (\(summary)) [\(note)]")
            }
        }
    }

    /// Every event id in the per-connector histories of a state file, which must be valid JSON.
    static func eventIDs(inStateFile path: String) throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError("the state file is not a JSON object")
        }
        var ids: Set<String> = []
        for case let account as [String: Any] in (root["accounts"] as? [String: Any] ?? [:]).values {
            for case let connector as [String: Any] in (account["connectors"] as? [String: Any] ?? [:]).values {
                for case let record as [String: Any] in connector["history"] as? [Any] ?? [] {
                    if let id = record["event_id"] as? String { ids.insert(id) }
                }
            }
        }
        return ids
    }

    private func corruptFiles(in directory: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
            $0.hasPrefix("state.json.corrupt")
        }
    }
}
