import Foundation
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchSimulator
import SSOWatchState
import Testing

/// A suite of `ssowatch connectors …`, `poll` and `--version` tests, run against the simulated Cloudflare
/// API: what the user sees (exit status, stdout, stderr) and what Cloudflare receives. Conforming gives
/// a suite the helpers below.
protocol ConnectorsCommandSuite {}

extension ConnectorsCommandSuite {
    typealias Setup = SimulatedSetup
    static var prod: TestAccount { .prod }
    static var staging: TestAccount { .staging }
    static var unknownConnector: String { "0123456789abcdef0123456789abcdef" }

    /// The requests the simulator received, as `METHOD path` lines.
    func requestLines(_ setup: Setup) -> [String] {
        setup.simulator.requests.map { "\($0.method) \($0.path)" }
    }

    /// The only request the simulator received.
    func onlyRequest(_ setup: Setup, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> RecordedRequest
    {
        let requests = setup.simulator.requests
        try #require(requests.count == 1, "requests: \(requestLines(setup))", sourceLocation: sourceLocation)
        return requests[0]
    }

    /// The stdout lines that start with `key` in `ConnectorTable.describe` output, value only.
    func field(_ key: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(key + " ") }.map {
            $0.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
        }
    }

    /// The character offset of `text` in `line`.
    func column(of text: String, in line: String) -> Int? {
        line.firstRange(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) }
    }

    /// JSON text re-serialised with sorted keys, to compare documents regardless of formatting.
    func canonicalJSON(_ text: String) throws -> String {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}
