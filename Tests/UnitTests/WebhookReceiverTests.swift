import Foundation
import SSOWatchSimulator
import Synchronization
import Testing

extension SimulatorTests {
    @Suite struct Receiver {
        @Test func recordsRequestsAndAnswersOkByDefault() async throws {
            try await withReceiver { receiver in
                let url = receiver.url(path: "/slack/T000/B000/XXXX")
                #expect(url == "http://127.0.0.1:\(receiver.port)/slack/T000/B000/XXXX")
                let response = try await rawRequest(
                    port: receiver.port, method: "POST", path: "/slack/T000/B000/XXXX?thread=1",
                    headers: [("Content-Type", "application/json"), ("webhook-id", "evt_1")], body: #"{"text":"hi"}"#)
                #expect(response.status == 200 && response.body == "ok")
                let request = try #require(receiver.received.first)
                #expect(request.method == "POST")
                #expect(request.path == "/slack/T000/B000/XXXX")
                #expect(request.query == "thread=1")
                #expect(request.header("WEBHOOK-ID") == "evt_1")
                #expect(request.jsonObject?["text"] as? String == "hi")
                #expect(request.responseStatus == 200)
                #expect(abs(request.receivedAt.timeIntervalSinceNow) < 10)
            }
        }

        @Test func answersFromTheQueueInOrderThenTheDefault() async throws {
            try await withReceiver { receiver in
                receiver.enqueue(.tooManyRequests(discordRetryAfter: 0.5))
                receiver.enqueue(.noContent, times: 2)
                receiver.enqueue(status: 400, body: "invalid_payload")
                receiver.setDefaultResponse(.accepted)
                var answers: [(Int, String)] = []
                for _ in 0..<5 {
                    let response = try await rawRequest(port: receiver.port, method: "POST", path: "/hook", body: "{}")
                    answers.append((response.status, response.body))
                }
                #expect(answers.map(\.0) == [429, 204, 204, 400, 202])
                #expect(answers[0].1.contains("\"retry_after\": 0.5"))
                #expect(answers[3].1 == "invalid_payload")
                #expect(answers[4].1.isEmpty)
            }
        }

        @Test func downAnswers503OrDropsUntilUp() async throws {
            try await withReceiver { receiver in
                receiver.down()
                let unavailable = try await rawRequest(port: receiver.port, method: "POST", path: "/x", body: "{}")
                #expect(unavailable.status == 503)
                receiver.down(dropConnections: true)
                await #expect(throws: RawHTTPError.closedBeforeResponse) {
                    try await rawRequest(port: receiver.port, method: "POST", path: "/x", body: "{}")
                }
                receiver.up()
                let back = try await rawRequest(port: receiver.port, method: "POST", path: "/x", body: "{}")
                #expect(back.status == 200)
                #expect(receiver.received.map(\.responseStatus) == [503, nil, 200])
                #expect(receiver.receivedCount == 3)
            }
        }

        @Test func onRequestSeesEachRequestAndWaitersWake() async throws {
            try await withReceiver { receiver in
                let seen = Mutex<[String]>([])
                receiver.onRequest = { request in seen.withLock { $0.append(request.path) } }
                let port = receiver.port
                async let first = rawRequest(port: port, method: "POST", path: "/one", body: "1")
                async let second = rawRequest(port: port, method: "POST", path: "/two", body: "2")
                try await receiver.waitForRequests(count: 2, timeout: .seconds(5))
                _ = try await (first, second)
                #expect(seen.withLock { $0.sorted() } == ["/one", "/two"])
                await #expect(throws: SimulatorError.self) {
                    try await receiver.waitForRequests(count: 3, timeout: .milliseconds(30))
                }
            }
        }
    }
}
