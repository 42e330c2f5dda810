import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// `ssowatch poll`: every enabled account polled once, concurrently within
/// `max_concurrent_requests`, with no state read or written.
public enum PollOnce {
    /// One account's answer.
    public struct AccountResult: Sendable {
        public var account: AccountConfig
        public var outcome: Result<ConnectorList, CloudflareAPIError>
    }

    /// Polls every enabled account; results come back in configuration order.
    public static func run(configuration: Configuration, transport: any HTTPTransport) async -> [AccountResult] {
        let accounts = configuration.accounts.filter(\.enabled)
        return await concurrentMap(accounts, limit: configuration.daemon.maxConcurrentRequests) { account in
            let client = CloudflareClient(
                baseURL: configuration.daemon.apiBaseURL, token: account.token, transport: transport,
                timeout: configuration.daemon.requestTimeout)
            do throws(CloudflareAPIError) {
                return AccountResult(
                    account: account, outcome: .success(try await client.listConnectors(accountID: account.accountID)))
            } catch {
                return AccountResult(account: account, outcome: .failure(error))
            }
        }
    }

    /// `{"accounts": [{"name", "account_id", "connectors": [...raw result...] | null, "error": … | null}]}`,
    /// indented as docs/COMMANDS.md shows it.
    public static func json(_ results: [AccountResult]) -> String {
        var out = Array(#"{"accounts":["#.utf8)
        for (index, result) in results.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += #"{"name":"#.utf8 + JSONValue.string(result.account.name).bytes
            out += #","account_id":"#.utf8 + JSONValue.string(result.account.accountID).bytes
            switch result.outcome {
            case .success(let list):
                out += #","connectors":"#.utf8
                out += list.rawResult.utf8
                out += #","error":null"#.utf8
            case .failure(let error):
                out += #","connectors":null,"error":"#.utf8 + JSONValue.string(error.description).bytes
            }
            out.append(UInt8(ascii: "}"))
        }
        out += "]}".utf8
        // Always JSON: every piece is (`rawResult` is printed by the same printer).
        return (try? JSONByteReader.prettyPrinted(out)) ?? String(decoding: out, as: UTF8.self)
    }
}
