import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The integration harness itself: if these fail, the command and daemon tests cannot be trusted.
@Suite struct HarnessTests {
    private static let shell = URL(fileURLWithPath: "/bin/sh")

    @Test func theExecutableIsFound() throws {
        let url = try SSOWatchExecutable.url()
        #expect(url.lastPathComponent == "ssowatch")
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }

    @Test func childrenGetOnlyPATHAndWhatTheTestGives() async throws {
        let child = try SSOWatchProcess.start(
            [], environment: ["SSOWATCH_CONFIG": "/given.ini"], executable: URL(fileURLWithPath: "/usr/bin/env"))
        let result = try await child.waitForExit(timeout: .seconds(10))
        let names = Set(
            result.stdout.split(separator: "\n").compactMap { $0.split(separator: "=").first.map(String.init) })
        let allowed: Set = ["PATH", "SSOWATCH_CONFIG", "LLVM_PROFILE_FILE"]
        #expect(names.isSubset(of: allowed), "\(result)")
        #expect(result.stdout.contains("SSOWATCH_CONFIG=/given.ini\n"))
        #expect(!result.stdout.contains("CLOUDFLARE_API_TOKEN"))
    }

    @Test func standardInputIsGivenOrEmptyAndNeverATerminal() async throws {
        let script = "if [ -t 0 ]; then echo tty; else echo notty; fi; cat"
        let given = try await SSOWatchProcess.start(["-c", script], stdin: "hello\n", executable: Self.shell)
            .waitForExit(timeout: .seconds(10))
        #expect(given.stdout == "notty\nhello\n")
        let empty = try await SSOWatchProcess.start(["-c", script], executable: Self.shell).waitForExit(
            timeout: .seconds(10))
        #expect(empty.stdout == "notty\n")
    }

    @Test func childrenHoldOnlyTheirStandardDescriptorsAndNoIgnoredSignals() async throws {
        // A descriptor of the runner's, not close-on-exec, open while the child starts.
        var stray: [Int32] = [-1, -1]
        #expect(pipe(&stray) == 0)
        defer { for fd in stray { close(fd) } }
        signal(SIGPIPE, SIG_IGN)
        let script = "ls /proc/$$/fd; grep '^SigIgn:' /proc/$$/status"
        let result = try await SSOWatchProcess.start(["-c", script], executable: Self.shell)
            .waitForExit(timeout: .seconds(10))
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.filter { $0.allSatisfy(\.isNumber) } == ["0", "1", "2"], "\(result)")
        // Signals 1–31 (the low 31 bits); glibc keeps 32 and 33 for itself and spawn cannot reset them.
        let ignored = lines.first { $0.hasPrefix("SigIgn:") }.flatMap {
            UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        #expect(ignored.map { $0 & 0x7fff_ffff } == 0, "\(result)")
    }

    @Test func largeInputReachesTheChildWhole() async throws {
        let input = String(repeating: "0123456789", count: 10_000)
        let result = try await SSOWatchProcess.start(["-c", "wc -c"], stdin: input, executable: Self.shell)
            .waitForExit(timeout: .seconds(10))
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "100000")
    }

    @Test func outputIsSeenAsItArrivesAndSignalsAreDelivered() async throws {
        let script =
            "trap 'echo got-hup' HUP; trap 'echo bye >&2; exit 3' TERM; echo ready; while :; do sleep 0.05; done"
        let child = try SSOWatchProcess.start(["-c", script], executable: Self.shell)
        try await child.waitForOutput(containing: "ready", in: .stdout, timeout: .seconds(10))
        #expect(child.isRunning)
        child.signal(SIGHUP)
        try await child.waitForOutput(containing: "got-hup", timeout: .seconds(10))
        child.signal(SIGTERM)
        let result = try await child.waitForExit(timeout: .seconds(10))
        #expect(result.status == 3)
        #expect(result.signal == nil)
        #expect(result.stderr == "bye\n")
        #expect(!child.isRunning)
    }

    @Test func waitingForOutputFailsWithWhatTheChildPrinted() async throws {
        let child = try SSOWatchProcess.start(["-c", "echo something-else"], executable: Self.shell)
        let error = await #expect(throws: HarnessError.self) {
            try await child.waitForOutput(containing: "never printed", timeout: .seconds(15))
        }
        #expect(error?.description.contains("never printed") == true)
        #expect(error?.description.contains("something-else") == true, "the message shows what was printed")
    }

    @Test func aDeadlineEndsTheWaitAndKillAndReapEndsTheChild() async throws {
        let child = try SSOWatchProcess.start(["-c", "echo started; exec sleep 30"], executable: Self.shell)
        let error = await #expect(throws: HarnessError.self) {
            try await child.waitForExit(timeout: .milliseconds(300))
        }
        #expect(error?.description.contains("timed out after") == true)
        #expect(child.isRunning)
        let result = try await child.killAndReap()
        #expect(result.signal == SIGKILL)
        #expect(result.status == 128 + SIGKILL)
        #expect(result.stdout == "started\n")
    }

    @Test func runSSOWatchKillsACommandThatOverrunsItsTimeout() async throws {
        try await withSimulatedSetup(configure: { $0.daemon("request_timeout", "1m") }) { setup in
            setup.simulator.injectFault(.slow(seconds: 30))
            let start = ContinuousClock.now
            let error = await #expect(throws: HarnessError.self) {
                try await setup.run(["connectors", "list", "--account", "prod"], timeout: .seconds(1))
            }
            #expect(ContinuousClock.now - start < .seconds(15))
            #expect(error?.description.contains("did not finish within") == true, "\(String(describing: error))")
            #expect(error?.description.contains("killed by signal 9") == true, "\(String(describing: error))")
        }
    }

    @Test func temporaryDirectoriesAreRemoved() async throws {
        let path = try await withTemporaryDirectory { directory in
            try directory.write("file", "x", mode: 0o640)
            let mode = try FileManager.default.attributesOfItem(atPath: directory.path("file"))[.posixPermissions]
            #expect((mode as? NSNumber)?.intValue == 0o640)
            #expect(try directory.read("file") == "x")
            return directory.path
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func theConfigFileKeepsSecretsInFilesBesideIt() async throws {
        try await withTemporaryDirectory { directory in
            let text = try ConfigFile(apiBaseURL: "http://127.0.0.1:1/client/v4")
                .daemon("poll_interval", "1s")
                .account("a", id: TestAccount.prod.id, token: "tok-a", [("enabled", "true")])
                .webhook("w", type: "generic", url: "https://x.example/secret", [("events", "all")])
                .render(secretsIn: directory)
            #expect(!text.contains("tok-a"))
            #expect(!text.contains("/secret"))
            #expect(text.contains("api_base_url = http://127.0.0.1:1/client/v4\n"))
            #expect(text.contains("state_file = \(directory.path("state.json"))\n"))
            #expect(text.contains("api_token_file = \(directory.path("token-a"))\n"))
            #expect(text.contains("url_file = \(directory.path("webhook-w.url"))\n"))
            #expect(try directory.read("token-a") == "tok-a\n")
            #expect(try directory.read("webhook-w.url") == "https://x.example/secret\n")
        }
    }

    @Test func theNotifySocketRecordsDatagrams() async throws {
        try await withTemporaryDirectory { directory in
            let socket = try NotifySocket(in: directory)
            defer { socket.stop() }
            #expect(socket.environment == ["NOTIFY_SOCKET": directory.path("notify.sock")])
            try send("READY=1\nSTATUS=1 connector", to: socket.path)
            let message = try await socket.waitForMessage(containing: "READY=1", timeout: .seconds(10))
            #expect(message == "READY=1\nSTATUS=1 connector")
            #expect(socket.lines == ["READY=1", "STATUS=1 connector"])
            try send("STOPPING=1", to: socket.path)
            try await socket.waitForMessage(containing: "STOPPING=1", after: 1, timeout: .seconds(10))
            let error = await #expect(throws: HarnessError.self) {
                try await socket.waitForMessage(containing: "READY=1", after: 2, timeout: .milliseconds(200))
            }
            #expect(error?.description.contains("READY=1") == true)
        }
    }

    /// Sends one datagram to a Unix socket, as `sd_notify` does.
    private func send(_ text: String, to path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
            buffer[path.utf8.count] = 0
        }
        let bytes = Array(text.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, bytes, bytes.count, 0, socketAddress, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard sent == bytes.count else { throw HarnessError("sendto \(path) failed: errno \(errno)") }
    }
}
