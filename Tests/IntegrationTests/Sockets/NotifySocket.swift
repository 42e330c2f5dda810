import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `NOTIFY_SOCKET` for a child: a datagram socket in a temporary directory that records what the
/// child tells systemd (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`), so daemon tests can wait
/// for those messages.
final class NotifySocket: Sendable {
    /// The socket's path; pass `environment` to the child.
    let path: String
    private let messages = Observed<[String]>([])
    /// The read source while listening; cancelling it closes the socket.
    private let source: Mutex<(any DispatchSourceRead)?>

    /// Binds `notify.sock` in `directory`.
    init(in directory: TemporaryDirectory, name: String = "notify.sock") throws {
        let path = directory.path(name)
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket(AF_UNIX, SOCK_DGRAM) failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            close(fd)
            throw HarnessError("socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
            buffer[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw HarnessError("bind(\(path)) failed: errno \(code)")
        }
        let messages = self.messages
        let source = DispatchSource.makeReadSource(
            fileDescriptor: fd, queue: DispatchQueue(label: "ssowatch.test.notify-socket"))
        source.setEventHandler {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard count > 0 else { return }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            messages.update { $0.append(text) }
        }
        source.setCancelHandler { close(fd) }
        source.resume()
        self.source = Mutex(source)
    }

    deinit {
        stop()
    }

    /// `["NOTIFY_SOCKET": path]`, to merge into a child's environment.
    var environment: [String: String] { ["NOTIFY_SOCKET": path] }

    /// Every datagram received so far, oldest first (one may hold several `KEY=value` lines).
    var received: [String] { messages.value }

    /// Every `KEY=value` line received so far, in order.
    var lines: [String] { received.flatMap { $0.split(separator: "\n").map(String.init) } }

    /// Waits for a datagram containing `text` (e.g. `READY=1`) and returns it. With `after`, only
    /// datagrams from that index on count (pass `received.count` before triggering a reload).
    @discardableResult
    func waitForMessage(containing text: String, after index: Int = 0, timeout: Duration = .seconds(30)) async throws
        -> String
    {
        let all = try await messages.wait(
            for: "a NOTIFY_SOCKET message containing \"\(text)\"", timeout: timeout,
            detail: { "\($0)" }, until: { $0.dropFirst(index).contains { $0.contains(text) } })
        return all.dropFirst(index).first { $0.contains(text) }!
    }

    /// Stops listening and closes the socket.
    func stop() {
        source.withLock { source in
            source?.cancel()
            source = nil
        }
    }
}
