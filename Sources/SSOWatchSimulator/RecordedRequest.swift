import Foundation
import NIOCore
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchNotify
import SSOWatchState

/// One HTTP request as a simulated server received it, with the answer it got.
public struct RecordedRequest: Sendable {
    /// Position of the request among all requests this server received, starting at 1.
    public var sequence: Int
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The path without the query string, e.g. `/client/v4/accounts/…/sso_connectors`.
    public var path: String
    /// The raw query string after `?`, or `nil` when the URI had none.
    public var query: String?
    /// Every header in the order received, names as sent.
    public var headers: [(name: String, value: String)]
    /// The request body (empty when none was sent).
    public var body: [UInt8]
    /// When the request was complete on the server.
    public var receivedAt: Date
    /// The status the server answered with, or `nil` when it dropped the connection.
    public var responseStatus: Int?

    /// The first value of the header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body decoded as UTF-8 (invalid bytes are replaced).
    public var bodyString: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object, or `nil` when it is not one.
    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// Errors of the simulated servers; each says what went wrong and what to check.
public enum SimulatorError: Error, CustomStringConvertible, Equatable {
    /// `start` was called on a server that is already running.
    case alreadyRunning(server: String)
    /// A wait for requests ended at its deadline.
    case timedOut(server: String, expected: Int, received: Int, timeout: Duration)

    /// What failed and what to check, for test failure messages.
    public var description: String {
        switch self {
        case .alreadyRunning(let server):
            return "The \(server) is already running; stop it before starting it again."
        case .timedOut(let server, let expected, let received, let timeout):
            return "Timed out after \(timeout) waiting for \(expected) requests to the \(server); "
                + "only \(received) arrived. Is the client pointed at this server's URL?"
        }
    }
}

/// The most recent requests (bounded) plus a count of all of them.
struct RequestLog {
    private(set) var recent = CircularBuffer<RecordedRequest>()
    private(set) var total = 0
    let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
        recent = CircularBuffer(initialCapacity: min(capacity, 1024))
    }

    /// Stores `request`, numbering it, and drops the oldest beyond the capacity.
    mutating func append(_ request: RecordedRequest) -> RecordedRequest {
        total += 1
        var numbered = request
        numbered.sequence = total
        if recent.count == capacity { recent.removeFirst() }
        recent.append(numbered)
        return numbered
    }

    mutating func removeAll() { recent.removeAll(keepingCapacity: true) }
}
