import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child started with `posix_spawn`, its standard output and error on pipes.
///
/// Foundation's `Process` is not used: on Linux it learns of a child's exit through a socket the child
/// inherits, which any other child spawned at the same moment can inherit too (so an exit went
/// unnoticed until an unrelated daemon ended), and it crashed the test runner once under parallel load.
/// Here only the three standard descriptors reach the child, and one thread per child waits for that
/// pid alone.
struct SpawnedChild {
    let pid: pid_t
    /// The read ends of the child's standard output and standard error.
    let stdout: Int32
    let stderr: Int32
    /// The write end of the child's standard input, when it was asked for.
    let stdin: Int32?
    /// The primary end of the pseudo-terminal that is the child's standard input, when it was asked for.
    let terminal: Int32?

    /// Starts `executable` with exactly `arguments` and `environment`, with every signal disposition back to its default (the test runner ignores `SIGPIPE`) and in a
    /// process group of its own (a Ctrl-C meant for the runner does not reach it).
    /// With `terminalStdin`, standard input is a pseudo-terminal (so `isatty(0)` holds) instead.
    static func spawn(
        executable: String, arguments: [String], environment: [String: String], pipeStdin: Bool,
        terminalStdin: Bool = false
    ) throws -> SpawnedChild {
        var opened: [Int32] = []
        func pipePair() throws -> (read: Int32, write: Int32) {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw HarnessError("pipe failed: errno \(errno)") }
            opened += ends
            return (ends[0], ends[1])
        }
        defer { for fd in opened { close(fd) } }

        let output = try pipePair()
        let error = try pipePair()
        let input: (read: Int32, write: Int32)
        var terminal: Int32?
        if terminalStdin {
            var primary: Int32 = -1
            var secondary: Int32 = -1
            let failure = ssowatch_open_pseudo_terminal(&primary, &secondary)
            guard failure == 0 else {
                throw HarnessError("could not open a pseudo-terminal: \(String(cString: strerror(failure)))")
            }
            opened += [primary, secondary]
            input = (secondary, -1)
            terminal = primary
        } else if pipeStdin {
            input = try pipePair()
        } else {
            let null = open("/dev/null", O_RDONLY)
            guard null >= 0 else { throw HarnessError("open /dev/null failed: errno \(errno)") }
            opened.append(null)
            input = (null, -1)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // These three and nothing else survive into the child: not the parent's ends of these pipes, nor
        // any descriptor another test opened in the meantime.
        let prepared = [
            posix_spawn_file_actions_adddup2(&actions, input.read, STDIN_FILENO),
            posix_spawn_file_actions_adddup2(&actions, output.write, STDOUT_FILENO),
            posix_spawn_file_actions_adddup2(&actions, error.write, STDERR_FILENO),
            ssowatch_spawn_file_actions_addclosefrom(&actions, 3),
        ]
        if let failed = prepared.first(where: { $0 != 0 }) {
            throw HarnessError("could not prepare the child's descriptors: \(String(cString: strerror(failed)))")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = CStringArray([executable] + arguments)
        let envp = CStringArray(environment.map { "\($0.key)=\($0.value)" })
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv.pointers, envp.pointers)
        guard result == 0 else {
            throw HarnessError("could not start \(executable): \(String(cString: strerror(result)))")
        }

        // Keep the parent's ends; the deferred close takes the child's.
        let kept =
            [output.read, error.read] + (pipeStdin && !terminalStdin ? [input.write] : [])
            + [terminal].compactMap { $0 }
        opened.removeAll { kept.contains($0) }
        return SpawnedChild(
            pid: pid, stdout: output.read, stderr: error.read, stdin: pipeStdin && !terminalStdin ? input.write : nil,
            terminal: terminal)
    }

    /// Blocks until the child has exited, then runs `record` with how it ended while the child is
    /// still a zombie, reaping it only afterwards: whoever sends signals under the same lock as `record`
    /// never signals a pid the kernel has handed to another process.
    static func waitForExit(
        of pid: pid_t, reapingUnder lock: (_ reap: () -> ProcessOutput.Termination) -> Void
    ) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        lock {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let signal = status & 0x7f
            return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        }
    }
}

/// A `NULL`-terminated array of C strings that lives as long as the value.
private final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointers[index]) }
        pointers.deallocate()
    }
}
