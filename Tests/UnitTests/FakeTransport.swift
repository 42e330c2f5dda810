import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
import Synchronization

/// An `HTTPTransport` that records every request and answers from a script, for tests that need
/// responses a real server would rarely send (or no server at all).
///
/// Answers are consumed in order; once the script is used up, `fallback` answers (by default a
/// connection failure naming the fake, so a test that sends more than it scripted fails clearly).
final class FakeTransport: HTTPTransport {
    /// One scripted answer: a response, or a transport failure.
    typealias Answer = Result<HTTPResponseSpec, HTTPTransportError>

    private struct State {
        var script: [Answer]
        var requests: [HTTPRequestSpec] = []
    }

    private let state: Mutex<State>
    private let fallback: Answer

    /// Creates a fake that answers with `script`, then with `fallback`.
    init(
        _ script: [Answer] = [],
        fallback: Answer = .failure(.connection(host: "fake", reason: "FakeTransport has no scripted answer left"))
    ) {
        state = Mutex(State(script: script))
        self.fallback = fallback
    }

    /// Creates a fake that answers every request with `response`.
    convenience init(always response: HTTPResponseSpec) {
        self.init([], fallback: .success(response))
    }

    /// Appends answers to the script.
    func enqueue(_ answers: Answer...) {
        state.withLock { $0.script += answers }
    }

    /// Every request received so far, oldest first.
    var requests: [HTTPRequestSpec] { state.withLock { $0.requests } }

    func send(_ request: HTTPRequestSpec) async throws(HTTPTransportError) -> HTTPResponseSpec {
        let answer = state.withLock { state in
            state.requests.append(request)
            return state.script.isEmpty ? fallback : state.script.removeFirst()
        }
        return try answer.get()
    }
}

extension HTTPResponseSpec {
    /// A response with a JSON body (`Content-Type: application/json` plus `headers`).
    static func json(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> Self {
        HTTPResponseSpec(
            status: status, headers: [(name: "Content-Type", value: "application/json")] + headers,
            body: Array(body.utf8))
    }

    /// A response with a body of any type.
    static func text(_ status: Int, _ body: String, contentType: String = "text/plain") -> Self {
        HTTPResponseSpec(status: status, headers: [(name: "Content-Type", value: contentType)], body: Array(body.utf8))
    }
}

extension HTTPRequestSpec {
    /// The first value of a header, compared case-insensitively.
    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body parsed as a JSON object, or `nil`.
    var jsonObject: [String: Any]? {
        body.flatMap { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] }
    }
}
