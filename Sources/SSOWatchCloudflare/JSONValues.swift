import Foundation

// Foundation's JSONSerialization returns NSNumber for both JSON booleans and numbers, and `as? Bool`
// accepts 0 and 1. These keep the JSON types apart, so `"enabled": 1` is not mistaken for `true`.

/// The value when it is a JSON `true`/`false`, else `nil`.
func jsonBool(_ value: Any) -> Bool? {
    guard let number = value as? NSNumber, isJSONBoolean(number) else { return nil }
    return number.boolValue
}

/// The value when it is a JSON integer (not a boolean, not fractional), else `nil`.
func jsonInt(_ value: Any?) -> Int? {
    guard let number = value as? NSNumber, !isJSONBoolean(number) else { return nil }
    let double = number.doubleValue
    guard double == double.rounded(), abs(double) < 9e15 else { return nil }
    return number.intValue
}

private let booleanType = String(cString: NSNumber(value: true).objCType)

private func isJSONBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == booleanType
        && (number == NSNumber(value: true) || number == NSNumber(value: false))
}
