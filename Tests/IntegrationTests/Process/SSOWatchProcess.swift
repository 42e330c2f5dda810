import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a finished child process left behind.
struct CommandResult: Sendable, CustomStringConvertible {
    /// The exit status, or 128 + the signal number when a signal ended the process (as shells report it).
    var status: Int32
    var stdout: String
    var stderr: String
    /// The signal that ended the process, when one did.
    var signal: Int32?

    var description: String {
        let how = signal.map { "killed by signal \($0)" } ?? "exit status \(status)"
        return "\(how)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)\n--------------"
    }
}

/// The output of a child so far and how it ended.
struct ProcessOutput: Sendable, CustomStringConvertible {
    enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    var stdout: [UInt8] = []
    var stderr: [UInt8] = []
    var stdoutClosed = false
    var stderrClosed = false
    var termination: Termination?

    /// Exited, and both pipes read to their end.
    var isFinished: Bool { termination != nil && stdoutClosed && stderrClosed }

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    var result: CommandResult {
        switch termination {
        case .signaled(let signal)?:
            CommandResult(status: 128 + signal, stdout: stdoutText, stderr: stderrText, signal: signal)
        case .exited(let status)?:
            CommandResult(status: status, stdout: stdoutText, stderr: stderrText, signal: nil)
        case nil:
            CommandResult(status: -1, stdout: stdoutText, stderr: stderrText, signal: nil)
        }
    }

    var description: String {
        let state =
            switch termination {
            case nil: "still running"
            case .exited(let status)?: "exited with status \(status)"
            case .signaled(let signal)?: "killed by signal \(signal)"
            }
        return "\(state)\n--- stdout ---\n\(stdoutText)\n--- stderr ---\n\(stderrText)\n--------------"
    }
}

/// The environment a child gets: `PATH` (and the coverage profile location, when set) plus `extra`.
/// Nothing else is inherited, so `CLOUDFLARE_API_TOKEN` or `SSOWATCH_CONFIG` in the developer's shell
/// never changes a test's outcome.
func childEnvironment(_ extra: [String: String]) -> [String: String] {
    let inherited = ProcessInfo.processInfo.environment
    var environment = ["PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"]
    if let profile = inherited["LLVM_PROFILE_FILE"] { environment["LLVM_PROFILE_FILE"] = profile }
    environment.merge(extra) { _, given in given }
    return environment
}

/// Lets a write to a pipe whose reader has gone fail with `EPIPE` instead of ending the test runner.
private func ignoreBrokenPipes() {
    _ = signal(SIGPIPE, SIG_IGN)
}

/// A child process (by default the built `ssowatch`) whose output is captured as it arrives: start it,
/// wait for it to print something, signal it, wait for it to exit. Used for the daemon and, through
/// `runSSOWatch`, for one-shot commands.
///
/// A daemon that a test leaves running is killed when this object goes away; prefer
/// `withSSOWatchProcess`, which also reaps it.
final class SSOWatchProcess: Sendable {
    /// The arguments it was started with.
    let arguments: [String]
    /// The command line, quoted for messages: `` `ssowatch run --config …` ``.
    let command: String
    /// Its process id.
    let pid: Int32
    /// The read end of the child's standard error pipe, with `StandardError.pipeToTest`.
    let stderrPipe: PipeReadEnd?
    private let output: Observed<ProcessOutput>

    /// The terminal that is its standard input, when it was started with `terminal: true`; see `type`.
    private let terminal: TerminalPort?

    /// What becomes of the child's standard error.
    enum StandardError: Sendable {
        /// Read to its end and kept (`stderr`, `waitForOutput`).
        case captured
        /// A pipe the test holds the read end of (`stderrPipe`), which nobody reads: closing it makes the
        /// child's writes fail with `EPIPE`, as when whatever read a daemon's standard error went away.
        case pipeToTest
    }

    /// Starts `executable` (default: the built `ssowatch`) with a clean environment (see
    /// `childEnvironment`). Standard input is `stdin` when given, else `/dev/null` — never a terminal,
    /// unless `terminal` is set: then it is a pseudo-terminal on which the test types with `type`.
    static func start(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        terminal: Bool = false, executable: URL? = nil, stderr: StandardError = .captured
    ) throws -> SSOWatchProcess {
        try SSOWatchProcess(
            executable: executable ?? SSOWatchExecutable.url(), arguments: arguments,
            environment: childEnvironment(environment), stdin: stdin, terminal: terminal, stderr: stderr)
    }

    private init(
        executable: URL, arguments: [String], environment: [String: String], stdin: String?, terminal: Bool,
        stderr: StandardError
    ) throws {
        let output = Observed(ProcessOutput())
        let child = try SpawnedChild.spawn(
            executable: executable.path, arguments: arguments, environment: environment, pipeStdin: stdin != nil,
            terminalStdin: terminal)
        self.arguments = arguments
        self.command = "`" + ([executable.lastPathComponent] + arguments).joined(separator: " ") + "`"
        self.pid = child.pid
        self.output = output
        let port = child.terminal.map(TerminalPort.init)
        self.terminal = port
        Thread.detachNewThread {
            SpawnedChild.waitForExit(of: child.pid) { reap in
                output.update { $0.termination = reap() }
            }
            port?.hangUp()
        }
        Self.drain(child.stdout, into: output, \.stdout, closed: \.stdoutClosed)
        switch stderr {
        case .captured:
            stderrPipe = nil
            Self.drain(child.stderr, into: output, \.stderr, closed: \.stderrClosed)
        case .pipeToTest:
            stderrPipe = PipeReadEnd(child.stderr)
            output.update { $0.stderrClosed = true }
        }
        if let input = child.stdin {
            // A writer of its own: input larger than the pipe would block until the child reads it. A
            // child that exits without reading makes the write fail with EPIPE, not kill the runner.
            ignoreBrokenPipes()
            let bytes = Array((stdin ?? "").utf8)
            Thread.detachNewThread {
                var sent = 0
                while sent < bytes.count {
                    let count = bytes[sent...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    sent += count
                }
                close(input)
            }
        }
    }

    deinit {
        signal(SIGKILL)
    }

    /// Reads a pipe to its end on a thread of its own (blocking reads never occupy the task pool), then
    /// closes it.
    private static func drain(
        _ fd: Int32, into output: Observed<ProcessOutput>,
        _ buffer: WritableKeyPath<ProcessOutput, [UInt8]> & Sendable,
        closed: WritableKeyPath<ProcessOutput, Bool> & Sendable
    ) {
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                output.update { $0[keyPath: buffer].append(contentsOf: chunk[..<count]) }
            }
            close(fd)
            output.update { $0[keyPath: closed] = true }
        }
    }

    /// Types `text` on the terminal that is the process's standard input (started with `terminal: true`).
    func type(_ text: String) throws {
        guard let terminal else { throw HarnessError("\(command) was not started with a terminal") }
        try terminal.type(text)
    }

    /// Whether the process has not exited yet.
    var isRunning: Bool { output.value.termination == nil }

    /// Everything it wrote to standard output so far.
    var stdout: String { output.value.stdoutText }

    /// Everything it wrote to standard error so far.
    var stderr: String { output.value.stderrText }

    /// Sends `signal` (`SIGHUP`, `SIGTERM`, `SIGKILL`, …); does nothing once the process has exited.
    /// The check and the `kill` hold the lock under which the child is reaped, so a recycled pid is
    /// never hit.
    func signal(_ signal: Int32) {
        output.withValue { output in
            if output.termination == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits until the process has exited and its output is read to the end.
    ///
    /// - Throws: `HarnessError` at the deadline; the process is then left running (see `killAndReap`).
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let finished = try await output.wait(
            for: "\(command) (pid \(pid)) to exit", timeout: timeout,
            until: \.isFinished)
        let result = finished.result
        // A crash (a Swift runtime trap is SIGILL or SIGTRAP) fails the test whatever it was checking, even
        // one that was about to kill the process anyway.
        if let signal = result.signal, Self.crashSignals.contains(signal) {
            Issue.record("\(command) (pid \(pid)) crashed: \(result)")
        }
        return result
    }

    /// Signals that end a process only when it crashes.
    static let crashSignals: Set<Int32> = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS]

    /// Waits until standard output or standard error (`in`) contains `text`, and returns that stream.
    ///
    /// - Throws: `HarnessError` at the deadline, or as soon as the process exits without printing it.
    @discardableResult
    func waitForOutput(
        containing text: String, in stream: Stream = .either, timeout: Duration = .seconds(30)
    ) async throws -> String {
        let seen = try await output.wait(
            for: "\(command) to print \"\(text)\" on \(stream)",
            timeout: timeout
        ) { output in
            stream.text(of: output).contains(text) || output.isFinished
        }
        guard stream.text(of: seen).contains(text) else {
            throw HarnessError("\(command) ended without printing \"\(text)\" on \(stream): \(seen)")
        }
        return stream.text(of: seen)
    }

    /// Which output `waitForOutput` looks at.
    enum Stream: Sendable, CustomStringConvertible {
        case stdout, stderr, either

        func text(of output: ProcessOutput) -> String {
            switch self {
            case .stdout: output.stdoutText
            case .stderr: output.stderrText
            case .either: output.stdoutText + "\n" + output.stderrText
            }
        }

        var description: String {
            switch self {
            case .stdout: "stdout"
            case .stderr: "stderr"
            case .either: "stdout or stderr"
            }
        }
    }

    /// Runs `body` with the process, then kills and reaps it if it is still running, whatever `body` does.
    func reaped<T>(after body: (SSOWatchProcess) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            if isRunning { try await killAndReap() }
            return result
        } catch {
            if isRunning { _ = try? await killAndReap() }
            throw error
        }
    }

    /// Kills the process with `SIGKILL` if it is still running and waits until it is gone.
    @discardableResult
    func killAndReap(timeout: Duration = .seconds(10)) async throws -> CommandResult {
        signal(SIGKILL)
        return try await waitForExit(timeout: timeout)
    }
}

/// The primary end of a child's pseudo-terminal: what a test types goes in through it; it is closed once
/// the child has exited, under the lock `type` writes under, so a write never reaches a reused descriptor.
final class TerminalPort: Sendable {
    private let descriptor: Mutex<Int32?>

    init(_ descriptor: Int32) { self.descriptor = Mutex(descriptor) }

    /// Writes all of `text`, as if typed (a terminal in canonical mode hands a line over at its `\n`).
    func type(_ text: String) throws {
        try descriptor.withLock { descriptor throws(HarnessError) in
            guard let descriptor else { throw HarnessError("the terminal is closed: the process has exited") }
            var rest = Array(text.utf8)[...]
            while !rest.isEmpty {
                let count = rest.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw HarnessError("typing on the terminal failed: errno \(errno)") }
                rest = rest.dropFirst(count)
            }
        }
    }

    /// Closes the primary end (the child has exited).
    func hangUp() {
        descriptor.withLock { descriptor in
            if let open = descriptor { _ = close(open) }
            descriptor = nil
        }
    }
}

/// The read end of a child's pipe, held by a test; closed once, by `close()` or when it goes away.
final class PipeReadEnd: Sendable {
    private let descriptor: Mutex<Int32?>

    init(_ descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    deinit {
        close()
    }

    /// Closes the read end: from then on the writer's writes fail with `EPIPE` (or `SIGPIPE` kills it).
    func close() {
        descriptor.withLock { descriptor in
            if let open = descriptor { closeDescriptor(open) }
            descriptor = nil
        }
    }
}

/// `close(2)`, reachable from a type that has a `close()` of its own.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// Starts `ssowatch arguments`, runs `body` with it, and kills and reaps it afterwards if it is
/// still running, whatever `body` does.
func withSSOWatchProcess<T>(
    _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, terminal: Bool = false,
    stderr: SSOWatchProcess.StandardError = .captured, _ body: (SSOWatchProcess) async throws -> T
) async throws -> T {
    try await SSOWatchProcess.start(
        arguments, environment: environment, stdin: stdin, terminal: terminal, stderr: stderr
    )
    .reaped(after: body)
}

/// Runs `ssowatch arguments` to completion with a clean environment (PATH plus `environment`) and
/// standard input `stdin` (default `/dev/null`, never a terminal).
///
/// - Throws: `HarnessError` when the executable is missing, or when the command is still running at
///   `timeout` (it is then killed, and the message shows its output so far).
func runSSOWatch(
    _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
    timeout: Duration = .seconds(60)
) async throws -> CommandResult {
    let child = try SSOWatchProcess.start(arguments, environment: environment, stdin: stdin)
    do {
        return try await child.waitForExit(timeout: timeout)
    } catch {
        let leftover = try? await child.killAndReap()
        if error is CancellationError { throw error }
        throw HarnessError(
            "`ssowatch \(arguments.joined(separator: " "))` did not finish within \(timeout) and was killed; "
                + "output so far:\n\(leftover.map(\.description) ?? "(unavailable)")")
    }
}
