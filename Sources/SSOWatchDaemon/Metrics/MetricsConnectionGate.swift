import NIOCore
import SSOWatchState
import Synchronization

extension MetricsServer {
    /// What a ``MetricsServer`` has done with its connections since it was created.
    public struct ConnectionCounts: Sendable, Equatable {
        /// Connections open now.
        public var open = 0
        /// Connections taken in, in all.
        public var accepted = 0
        /// Connections closed as soon as they were accepted, because `open` was at the limit.
        public var refused = 0
        /// Connections closed because nothing was read or written for the idle timeout.
        public var closedIdle = 0
        /// Answers that waited for their peer to read the ones written before them.
        public var heldResponses = 0
    }
}

/// The listener's count of open connections, shared by the accept path and every connection's
/// handlers (all on the listener's thread, but read by anyone through ``MetricsServer/connectionCounts``).
final class MetricsConnectionGate: Sendable {
    /// Why an accepted connection was closed at once.
    struct LimitReached: Error {}

    private let limit: Int
    private let state = Mutex(MetricsServer.ConnectionCounts())

    init(limit: Int) {
        self.limit = limit
    }

    var counts: MetricsServer.ConnectionCounts { state.withLock { $0 } }

    /// Counts a newly accepted connection as open, or as refused when `limit` are open already.
    /// - Returns: whether to keep the connection; one that was kept must be `release`d when it closes.
    func admit() -> Bool {
        state.withLock { counts in
            guard counts.open < limit else {
                counts.refused += 1
                return false
            }
            counts.open += 1
            counts.accepted += 1
            return true
        }
    }

    /// Counts an admitted connection as closed.
    func release() {
        state.withLock { $0.open -= 1 }
    }

    /// Counts a connection closed for being idle.
    func recordIdleClose() {
        state.withLock { $0.closedIdle += 1 }
    }

    /// Counts an answer that waits for its peer to read.
    func recordHeldResponse() {
        state.withLock { $0.heldResponses += 1 }
    }
}

/// Closes the connection when `IdleStateHandler` reports that nothing was read or written for its timeout.
final class CloseWhenIdleHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    private let gate: MetricsConnectionGate

    init(gate: MetricsConnectionGate) {
        self.gate = gate
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        gate.recordIdleClose()
        context.close(promise: nil)
    }
}
