import SSOWatchConfig
import SSOWatchModel
import SSOWatchNotify

/// The Standard Webhooks signature a receiver expects for one request, computed by
/// `StandardWebhooks.signature` once that function has reproduced the specification's test vector
/// (so a test that compares against it does not merely compare the library with itself).
///
/// - Throws: `HarnessError` when the library fails the test vector.
func expectedSignature(secret: String, id: String, timestamp: Int, body: [UInt8]) throws -> String {
    let vector = try StandardWebhooks.signature(
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
    guard vector == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" else {
        throw HarnessError("StandardWebhooks.signature fails the specification's test vector: \(vector)")
    }
    return try StandardWebhooks.signature(secret: secret, id: id, timestamp: timestamp, body: body)
}
