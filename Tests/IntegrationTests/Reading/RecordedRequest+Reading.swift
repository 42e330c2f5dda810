import Foundation
import SSOWatchSimulator

extension RecordedRequest {
    /// The body's JSON object at a dotted path of keys and array indices, e.g. `data.connector.id`
    /// or `embeds.0.title`.
    func json(_ keyPath: String) -> Any? {
        var value: Any? = jsonObject
        for key in keyPath.split(separator: ".") {
            if let index = Int(key), let array = value as? [Any] {
                value = index < array.count ? array[index] : nil
            } else {
                value = (value as? [String: Any])?[String(key)]
            }
        }
        return value
    }

    /// `json(keyPath)` as a string.
    func string(_ keyPath: String) -> String? { json(keyPath) as? String }
}

/// Seconds from `first` to `second` arriving at their server.
func secondsBetween(_ first: RecordedRequest, _ second: RecordedRequest) -> Double {
    second.receivedAt.timeIntervalSince(first.receivedAt)
}
