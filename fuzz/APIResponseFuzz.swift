// libFuzzer entry point for the Cloudflare API response decoder: the envelope (`success`, `errors`,
// `result`, `result_info`), connector objects, the `Retry-After` and `Ratelimit` headers, and the
// descriptions and tables printed from them. It goes through the public `CloudflareClient` with a
// fake transport that answers every request with the fuzzed response. Build and run with
// `make fuzz` (fuzz/run.sh).
//
// Input layout: byte 0 chooses the HTTP status, byte 1 the operation (low 3 bits) and whether
// headers follow (bit 7); headers are `Name: value` lines ended by an empty line; the rest is the body.
//
// Oracle beyond "no crash": the bearer token never appears in an error description.

import Dispatch
import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchHTTP
import SSOWatchNotify
import SSOWatchState

private let token = "FUZZSECRET-bearer-token"

private struct FuzzTransport: HTTPTransport {
    let response: HTTPResponseSpec

    func send(_ request: HTTPRequestSpec) async throws(HTTPTransportError) -> HTTPResponseSpec {
        response
    }
}

private let statuses = [200, 201, 204, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 520, 101, 299]

/// Splits the input into a response as described above.
private func response(from bytes: [UInt8]) -> (response: HTTPResponseSpec, operation: UInt8) {
    guard bytes.count >= 2 else { return (HTTPResponseSpec(status: 200, body: bytes), 0) }
    let status = bytes[0] >= 0xF0 ? Int(bytes[0]) * 3 - 600 : statuses[Int(bytes[0]) % statuses.count]
    var rest = bytes[2...]
    var headers: [(name: String, value: String)] = []
    if bytes[1] & 0x80 != 0 {
        var lineStart = rest.startIndex
        var index = rest.startIndex
        while index < rest.endIndex {
            if rest[index] == 0x0A {
                let line = String(decoding: rest[lineStart..<index], as: UTF8.self)
                lineStart = rest.index(after: index)
                if line.isEmpty || line == "\r" { break }
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2 {
                    headers.append((String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces)))
                }
            }
            index = rest.index(after: index)
        }
        rest = rest[lineStart...]
    }
    return (HTTPResponseSpec(status: status, headers: headers, body: Array(rest)), bytes[1] & 0x07)
}

/// Runs async client code to completion on the calling (libFuzzer) thread.
private func runBlocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

private func check(_ error: CloudflareAPIError, inputHasToken: Bool) {
    let description = error.description
    if !inputHasToken && description.contains(token) {
        fatalError("the API token leaked into an error: \(description)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let inputHasToken = String(decoding: bytes, as: UTF8.self).contains(token)
    let (response, operation) = response(from: bytes)
    let client = CloudflareClient(
        baseURL: "https://api.cloudflare.test/client/v4/", token: Secret(token, source: "fuzz"),
        transport: FuzzTransport(response: response), timeout: 5)
    let account = "023e105f4ecef8ad9ca31a8372d0c353"
    let connector = "c0ffee"
    runBlocking {
        do throws(CloudflareAPIError) {
            switch operation {
            case 0, 6, 7:
                let list = try await client.listConnectors(accountID: account)
                _ = ConnectorTable.render(list.connectors)
                for item in list.connectors {
                    _ = ConnectorTable.describe(item)
                    _ = ConnectorTable.dnsInstructions(item)
                    _ = item.status
                }
                precondition(list.totalCount.map { $0 <= list.connectors.count } ?? true || !list.warnings.isEmpty)
            case 1:
                let single = try await client.getConnector(accountID: account, connectorID: connector)
                _ = ConnectorTable.describe(single.connector)
                _ = ConnectorTable.dnsInstructions(single.connector)
            case 2:
                _ = try await client.createConnector(accountID: account, emailDomain: "example.com")
            case 3:
                _ = try await client.updateConnector(accountID: account, connectorID: connector, enabled: true)
            case 4:
                _ = try await client.deleteConnector(accountID: account, connectorID: connector)
            default:
                try await client.beginVerification(accountID: account, connectorID: connector)
            }
        } catch {
            check(error, inputHasToken: inputHasToken)
        }
    }
    return 0
}
