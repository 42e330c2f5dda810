import Foundation
import SSOWatchTestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Many TCP connections to one port on 127.0.0.1 that never send a byte: what a careless or hostile
/// peer can hold open against a listener. All are closed when the value goes away.
final class IdleConnections {
    private var descriptors: [Int32] = []

    /// Opens one more connection to `port`; the connect may take up to `connectTimeout` seconds (a
    /// listener whose accept queue is full makes the kernel retry the handshake a second later).
    func open(port: Int, connectTimeout: Int = 10) throws {
        do {
            descriptors.append(try connectToLoopback(port: port, sendTimeout: connectTimeout))
        } catch {
            throw HarnessError("connection \(count + 1): \(error)")
        }
    }

    deinit { closeAll() }

    /// How many are open.
    var count: Int { descriptors.count }

    /// How many the server has closed (end of file or a reset); nothing is read.
    var closedByServer: Int {
        descriptors.count { fd in
            var byte: UInt8 = 0
            let received = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            return received == 0 || (received < 0 && errno == ECONNRESET)
        }
    }

    /// Closes every connection.
    func closeAll() {
        for fd in descriptors { close(fd) }
        descriptors.removeAll()
    }
}

/// Raises this process's soft limit on open descriptors to at least `count`, within the hard limit.
/// - Throws: when the hard limit is lower than `count`.
func raiseDescriptorLimit(to count: Int) throws {
    var limit = rlimit()
    #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        let resource = RLIMIT_NOFILE
    #endif
    guard getrlimit(resource, &limit) == 0 else { throw HarnessError("getrlimit failed: errno \(errno)") }
    guard limit.rlim_cur < rlim_t(count) else { return }
    guard limit.rlim_max == rlim_t.max || limit.rlim_max >= rlim_t(count) else {
        throw HarnessError("this test needs \(count) open descriptors; the hard limit is \(limit.rlim_max)")
    }
    limit.rlim_cur = rlim_t(count)
    guard setrlimit(resource, &limit) == 0 else { throw HarnessError("setrlimit failed: errno \(errno)") }
}
