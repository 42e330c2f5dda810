import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// Every webhook type × every event kind, the test message and a batch of 12, compared byte for byte
/// with the files in `Golden/`. To regenerate them after an intended change:
/// `SSOWATCH_UPDATE_GOLDEN=1 swift test --filter GoldenPayloadTests`, then review the diff.
@Suite struct GoldenPayloadTests {
    static let updating = ProcessInfo.processInfo.environment["SSOWATCH_UPDATE_GOLDEN"] == "1"

    /// Where the golden files live in the source tree (written when updating).
    static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    static let cases: [(WebhookType, String)] = WebhookType.allCases.flatMap { type in
        NotifyFixtures.goldenCases.map { (type, $0) }
    }

    @Test(arguments: cases)
    func matchesGoldenFile(type: WebhookType, name: String) throws {
        // generic is signed, so its golden files also pin the signature of each body.
        let secret = type == .generic ? NotifyFixtures.secret : nil
        let requests = NotifyFixtures.render(type, NotifyFixtures.message(name), secret: secret)
        let actual = Self.transcript(requests)
        let fileName = "\(type.rawValue)-\(name).txt"

        if Self.updating {
            try FileManager.default.createDirectory(at: Self.sourceDirectory, withIntermediateDirectories: true)
            try actual.write(
                to: Self.sourceDirectory.appendingPathComponent(fileName), atomically: true, encoding: .utf8)
            return
        }
        let directory = try #require(Bundle.module.url(forResource: "Golden", withExtension: nil))
        let url = directory.appendingPathComponent(fileName)
        let expected = try #require(
            try? String(contentsOf: url, encoding: .utf8),
            "missing golden file \(fileName); run with SSOWATCH_UPDATE_GOLDEN=1 to create it")
        #expect(
            actual == expected,
            "\(fileName) differs; if the change is intended, run with SSOWATCH_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test func everyChatTypeBatchesTwelveEventsIntoOneRequest() {
        for type in WebhookType.allCases {
            let requests = NotifyFixtures.render(type, NotifyFixtures.message("batch"))
            #expect(requests.count == (type == .generic ? 12 : 1), "\(type)")
            #expect(Set(requests.flatMap(\.eventIDs)).count == 12, "\(type)")
        }
    }

    /// A readable, stable text form of requests: the version is replaced by `VERSION`, so a release
    /// does not change every golden file.
    static func transcript(_ requests: [RenderedRequest]) -> String {
        requests.enumerated().map { index, request in
            var lines = ["### request \(index + 1) of \(requests.count)", request.method]
            lines += request.headers.map { "\($0.name): \($0.value)" }
            lines += ["", String(decoding: request.body, as: UTF8.self)]
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
            .replacingOccurrences(of: SSOWatchVersion.userAgent, with: "ssowatch/VERSION")
            .replacingOccurrences(of: "ssowatch \(SSOWatchVersion.string)", with: "ssowatch VERSION") + "\n"
    }
}
