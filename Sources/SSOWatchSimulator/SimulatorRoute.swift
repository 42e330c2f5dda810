import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState
/// Where a request path leads within `/client/v4/accounts/{account_id}/sso_connectors…`.
enum SimulatorRoute: Equatable {
    /// What the path names below the account.
    enum Target: Equatable {
        case collection
        case connector(String)
        case beginVerification(String)

        var allowedMethods: [String] {
            switch self {
            case .collection: ["GET", "POST"]
            case .connector: ["GET", "PATCH", "DELETE"]
            case .beginVerification: ["POST"]
            }
        }
    }

    case route(accountID: String, target: Target)
    /// The shape is right but an id is not 32 hex digits (Cloudflare: 400 with 7003 and 7000).
    case invalidIdentifier
    case noRoute

    init(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts.count <= 8, parts[0].isEmpty, parts[1] == "client", parts[2] == "v4",
            parts[3] == "accounts", parts[5] == "sso_connectors"
        else {
            self = .noRoute
            return
        }
        let account = String(parts[4])
        let target: Target
        var ids = [account]
        switch parts.count {
        case 6:
            target = .collection
        case 7:
            target = .connector(String(parts[6]))
            ids.append(String(parts[6]))
        default:
            guard parts[7] == "begin_verification" else {
                self = .noRoute
                return
            }
            target = .beginVerification(String(parts[6]))
            ids.append(String(parts[6]))
        }
        self = ids.allSatisfy(Self.isIdentifier) ? .route(accountID: account, target: target) : .invalidIdentifier
    }

    /// The account id segment of a path, valid or not, for scoping faults.
    static func accountSegment(of path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[3] == "accounts" else { return nil }
        return String(parts[4])
    }

    /// Whether `value` is a Cloudflare identifier: exactly 32 hex digits.
    static func isIdentifier(_ value: String) -> Bool {
        value.utf8.count == 32
            && value.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }
}
