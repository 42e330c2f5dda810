import Foundation
import SSOWatchCloudflare
import SSOWatchConfig
import SSOWatchHTTP
import SSOWatchModel

/// Begins one connector's verification for `auto_begin_verification = on` (docs/CONFIGURATION.md,
/// "Verification assistance"): `POST …/begin_verification` with the write token, then a read-back of the
/// connector with the read token (the one polling uses), which should now say `pending`.
struct VerificationStarter: Sendable {
    /// Sends `begin_verification`: the write token.
    let writer: CloudflareClient
    /// Reads the connector back: the account's read token.
    let reader: CloudflareClient

    /// The two clients for `account`, which must have a write token.
    init?(account: AccountConfig, daemon: DaemonConfig, transport: any HTTPTransport) {
        guard let writeToken = account.writeToken else { return nil }
        writer = CloudflareClient(
            baseURL: daemon.apiBaseURL, token: writeToken, transport: transport, timeout: daemon.requestTimeout)
        reader = CloudflareClient(
            baseURL: daemon.apiBaseURL, token: account.token, transport: transport, timeout: daemon.requestTimeout)
    }

    /// What one attempt came to: the event's `assist` report and the sentence `status` shows.
    struct Outcome: Sendable, Equatable {
        var report: AutoBeginReport
        var detail: String

        /// The longest text from Cloudflare kept (its errors, the status read back) and the longest `detail`, in
        /// characters: they travel in the event, the state file and `status`, and Cloudflare's answer can be
        /// anything. Cut here, once, with `…`.
        static let textLimit = 1000

        init(report: AutoBeginReport, detail: String) {
            var report = report
            report.cloudflareError = report.cloudflareError?.shortened(to: Self.textLimit)
            report.readBackStatus = report.readBackStatus?.shortened(to: Self.textLimit)
            self.report = report
            self.detail = detail.shortened(to: Self.textLimit)
        }
    }

    /// `POST …/begin_verification` with the write token: Cloudflare's HTTP status, or why it failed.
    func call(accountID: String, connectorID: String) async -> Result<Int, CloudflareAPIError> {
        do throws(CloudflareAPIError) {
            return .success(try await writer.beginVerification(accountID: accountID, connectorID: connectorID))
        } catch {
            return .failure(error)
        }
    }

    /// `GET` of the connector with the read token, after an accepted call.
    func readBack(accountID: String, connectorID: String) async -> Result<Connector, CloudflareAPIError> {
        do throws(CloudflareAPIError) {
            return .success(try await reader.getConnector(accountID: accountID, connectorID: connectorID).connector)
        } catch {
            return .failure(error)
        }
    }

    /// A call Cloudflare accepted with `status`, and what reading the connector back gave (`nil`: not read,
    /// because the daemon stopped first).
    static func accepted(status: Int, readBack: Result<Connector, CloudflareAPIError>?) -> Outcome {
        var report = AutoBeginReport(mode: .on, outcome: .called, httpStatus: status)
        var detail = "began verification: Cloudflare answered HTTP \(status)"
        switch readBack {
        case .success(let connector):
            report.readBackStatus = connector.displayStatus
            detail +=
                connector.status == .pending
                ? " and the connector is now pending"
                : "; read back, the connector is \(connector.displayStatus), not pending (Cloudflare may take a "
                    + "moment; the next poll will tell)"
        case .failure(let error):
            detail += "; reading the connector back failed (\(error.reason)); the next poll will tell"
        case nil:
            detail += "; ssowatch stopped before reading the connector back; the next poll will tell"
        }
        return Outcome(report: report, detail: detail)
    }

    /// A call that did not succeed: `refused` for 401/403 (the write token lacks "SSO Connector Write"),
    /// `error` for the rest.
    static func failure(_ error: CloudflareAPIError) -> Outcome {
        let refused = error.httpStatus == 401 || error.httpStatus == 403
        let cloudflareError =
            error.errors.isEmpty ? error.reason : error.errors.map(\.summary).joined(separator: "; ")
        let report = AutoBeginReport(
            mode: .on, outcome: refused ? .refused : .error, httpStatus: error.httpStatus,
            cloudflareError: cloudflareError)
        let detail =
            refused
            ? "Cloudflare refused begin_verification with the write token (\(error.reason))"
            : "begin_verification failed (\(error.reason)); it is tried again after "
                + "\(formatSeconds(AutoBeginRecord.callSpacing)) if the record is still present"
        return Outcome(report: report, detail: detail)
    }
}
