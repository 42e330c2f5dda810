import Foundation
import Synchronization
import Testing

@testable import SSOWatchSimulator

/// The simulator's request hooks must cost the same on the millionth request as on the first: kept directly
/// in a `Mutex`, a closure gained two reabstraction thunks per request and calling it finally overflowed the
/// stack (`RequestHook`).
@Suite struct SimulatorStoreTests {
    private static let request = RecordedRequest(
        sequence: 0, method: "GET", path: "/client/v4/accounts", query: nil, headers: [], body: [], receivedAt: Date(),
        responseStatus: nil)

    /// How far below the caller's frame the hook ran, in bytes, for one request through `handle`.
    private static func depth(of handle: () -> Void, hookAddress: borrowing Mutex<UInt>) -> Int {
        var marker = 0
        let top = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        handle()
        return Int(top) - Int(hookAddress.withLock { $0 })
    }

    private static func here() -> UInt {
        var marker = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }

    @Test func hooksRunAtTheSameStackDepthAfterThousandsOfRequests() {
        let store = SimulatorStore()
        let onRequest = Mutex<UInt>(0)
        let control = Mutex<UInt>(0)
        store.onRequest.withLock { $0 = RequestHook { _ in onRequest.withLock { $0 = Self.here() } } }
        store.control.withLock {
            $0 = RequestHook { _ in
                control.withLock { $0 = Self.here() }
                return ServerResponse(status: 200, body: "{}")
            }
        }
        var controlRequest = Self.request
        controlRequest.path = SimulatorControl.pathPrefix + "/stats"

        let first = Self.depth(of: { _ = store.handle(Self.request) }, hookAddress: onRequest)
        let firstControl = Self.depth(of: { _ = store.handle(controlRequest) }, hookAddress: control)
        for _ in 0..<2_000 {
            _ = store.handle(Self.request)
            _ = store.handle(controlRequest)
        }
        let later = Self.depth(of: { _ = store.handle(Self.request) }, hookAddress: onRequest)
        let laterControl = Self.depth(of: { _ = store.handle(controlRequest) }, hookAddress: control)
        // With the thunk chain, 2,000 requests put the hooks about 4,000 frames (over 100 KB) deeper.
        #expect(later - first < 1024, "onRequest ran \(later - first) bytes deeper")
        #expect(laterControl - firstControl < 1024, "the control hook ran \(laterControl - firstControl) bytes deeper")
    }
}
