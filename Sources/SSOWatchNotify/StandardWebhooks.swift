import Crypto
import Foundation
import SSOWatchConfig
import SSOWatchModel

/// Signing per the Standard Webhooks specification (v1): `webhook-signature` is `v1,` followed by
/// base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where the key is the base64-decoded part of
/// the `whsec_…` secret.
public enum StandardWebhooks {
    /// The prefix of a Standard Webhooks secret.
    public static let secretPrefix = "whsec_"

    /// A signing secret that cannot be used. Its description never contains the secret.
    public struct SecretError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong with it, safe to show.
        public var reason: String

        /// What is wrong and what to do, without the secret.
        public var description: String {
            "invalid webhook signing secret: \(reason); expected whsec_ followed by base64, as the receiver shows it"
        }
    }

    /// The HMAC key of a secret: the bytes the base64 after `whsec_` decodes to. Padding is re-added
    /// when missing, and the URL-safe alphabet is accepted too.
    /// - Throws: `SecretError` when the text is not base64 or decodes to nothing.
    public static func key(fromSecret secret: String) throws(SecretError) -> [UInt8] {
        var text = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        text = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.hasSuffix("=") { text.removeLast() }
        guard text.count % 4 != 1 else { throw SecretError(reason: "its base64 has an impossible length") }
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text) else { throw SecretError(reason: "it is not valid base64") }
        guard !data.isEmpty else { throw SecretError(reason: "it is empty") }
        return Array(data)
    }

    /// Checks that a secret can sign, for the configuration loader.
    /// - Throws: `SecretError` as `key(fromSecret:)`.
    public static func validate(secret: String) throws(SecretError) {
        _ = try key(fromSecret: secret)
    }

    /// The `webhook-signature` value (`v1,<base64>`) for one attempt.
    /// - Parameters:
    ///   - secret: `whsec_` + base64.
    ///   - id: the `webhook-id`.
    ///   - timestamp: the `webhook-timestamp`, Unix seconds.
    ///   - body: the exact bytes sent.
    /// - Throws: `SecretError` when the secret is not usable.
    public static func signature(secret: String, id: String, timestamp: Int, body: [UInt8]) throws(SecretError)
        -> String
    {
        let key = SymmetricKey(data: try key(fromSecret: secret))
        var message = Array("\(id).\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}
