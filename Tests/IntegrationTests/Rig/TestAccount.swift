/// A simulated account as the integration tests configure it.
struct TestAccount: Sendable, Hashable, CustomStringConvertible {
    var name: String
    var id: String
    var token: String

    /// `[account "prod"]`, whose token the simulator accepts.
    static let prod = TestAccount(
        name: "prod", id: "023e105f4ecef8ad9ca31a8372d0c353", token: "cfut_prod_integration_0f3a9d")
    /// `[account "staging"]`, with a token of its own.
    static let staging = TestAccount(
        name: "staging", id: "7d1f0e32b5c84d5a9b6e0f4c2a1d3e5f", token: "cfut_staging_integration_77b1e4")

    /// Account number `index` (name `NAMEindex`, at most 16 characters) using `token`, for tests that
    /// need many accounts or shared tokens; its 32-hex id is the name's bytes in hex, so different
    /// names never share an id.
    static func make(_ name: String, _ index: Int, token: String) -> TestAccount {
        let fullName = "\(name)\(index)"
        precondition(fullName.utf8.count <= 16, "account names of at most 16 bytes keep ids unique")
        let hex = fullName.utf8.map { String($0, radix: 16) }.joined()
        return TestAccount(name: fullName, id: hex + String(repeating: "0", count: 32 - hex.count), token: token)
    }

    /// The API path of the account's connector list, as the simulator records it.
    var listPath: String { "/client/v4/accounts/\(id)/sso_connectors" }

    var description: String { name }
}
