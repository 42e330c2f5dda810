#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `127.0.0.1:port` as the socket calls take it.
public func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

/// A new IPv4 TCP socket, for the caller to close.
private func tcpSocket() throws -> Int32 {
    #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
    return fd
}

/// A blocking TCP socket connected to `127.0.0.1:port`, for the caller to close.
///
/// - Parameters:
///   - receiveTimeout: `SO_RCVTIMEO` in seconds, so a read from a silent server ends.
///   - sendTimeout: `SO_SNDTIMEO` in seconds; on Linux it bounds `connect` too (a listener whose
///     accept queue is full makes the kernel retry the handshake a second later).
///   - receiveBuffer: `SO_RCVBUF`, set before connecting, which bounds how much the kernel takes in for a
///     test that does not read.
public func connectToLoopback(
    port: Int, receiveTimeout: Int? = nil, sendTimeout: Int? = nil, receiveBuffer: Int32? = nil
) throws -> Int32 {
    let fd = try tcpSocket()
    for (option, seconds) in [(SO_RCVTIMEO, receiveTimeout), (SO_SNDTIMEO, sendTimeout)] {
        guard let seconds else { continue }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
    if var size = receiveBuffer {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = loopbackAddress(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        let code = errno
        close(fd)
        throw TestSupportError("connecting to 127.0.0.1:\(port) failed: \(String(cString: strerror(code)))")
    }
    return fd
}

/// A listening socket on 127.0.0.1 with a port the system picked; closed when it goes away.
///
/// With `listening: false` the port is only bound: a connection to it is refused, and no other server (of a
/// test running in parallel) can take the port while this object lives, unlike a port closed after use.
public final class LoopbackListener {
    public let fd: Int32
    public let port: Int

    public init(listening: Bool = true) throws {
        let fd = try tcpSocket()
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, !listening || listen(fd, 1) == 0 else {
            close(fd)
            throw TestSupportError("binding 127.0.0.1:0 failed: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

/// A port that was free a moment ago: bound on 127.0.0.1 with port 0, then closed.
public func freeLoopbackPort() throws -> Int {
    try LoopbackListener().port
}
