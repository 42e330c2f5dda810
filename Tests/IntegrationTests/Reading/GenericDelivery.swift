import SSOWatchSimulator

/// A `generic` webhook request (docs/NOTIFICATIONS.md) as the tests read it.
struct GenericDelivery: Sendable, CustomStringConvertible {
    var webhookID: String?
    var type: String
    var timestamp: String
    var accountName: String?
    var accountID: String?
    var connectorID: String?
    var domain: String?
    var status: String?
    var previousStatus: String?
    var verificationCode: String?
    var dnsRecordValue: String?
    /// Whether the request was answered with a 2xx status.
    var succeeded: Bool
    var previousStatusSince: String?
    var connectorEnabled: Bool?
    /// The keys of the body, of `data`, of `data.account` and of `data.connector`.
    var keys: (top: Set<String>, data: Set<String>, account: Set<String>, connector: Set<String>)

    init(_ request: RecordedRequest) throws {
        guard let object = request.jsonObject else {
            throw HarnessError("a generic webhook body is not a JSON object: \(request.bodyString)")
        }
        let data = object["data"] as? [String: Any]
        let account = data?["account"] as? [String: Any]
        let connector = data?["connector"] as? [String: Any]
        webhookID = request.header("webhook-id")
        type = object["type"] as? String ?? "?"
        timestamp = object["timestamp"] as? String ?? "?"
        accountName = account?["name"] as? String
        accountID = account?["id"] as? String
        connectorID = connector?["id"] as? String
        domain = connector?["email_domain"] as? String
        status = data?["status"] as? String
        previousStatus = data?["previous_status"] as? String
        verificationCode = data?["verification_code"] as? String
        dnsRecordValue = (data?["dns_record"] as? [String: Any])?["value"] as? String
        succeeded = (request.responseStatus ?? 0) / 100 == 2
        previousStatusSince = data?["previous_status_since"] as? String
        connectorEnabled = connector?["enabled"] as? Bool
        keys = (
            Set(object.keys), Set(data?.keys.map { $0 } ?? []), Set(account?.keys.map { $0 } ?? []),
            Set(connector?.keys.map { $0 } ?? [])
        )
    }

    /// `connector.verified example.com pending→verified (prod)`.
    var description: String {
        "\(type) \(domain ?? "?") \(previousStatus ?? "nil")→\(status ?? "nil") (\(accountName ?? "?"))"
    }
}
