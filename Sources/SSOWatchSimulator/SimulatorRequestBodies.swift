import Foundation
import SSOWatchConfig
import SSOWatchDaemon
import SSOWatchModel
import SSOWatchNotify
import SSOWatchState

/// Why a request body was refused; `message` becomes the 400 error's message.
struct BodyError: Error, Equatable {
    var message: String

    init(_ message: String) {
        self.message = "Invalid request body: " + message
    }
}

/// The JSON object of a request body; an empty body counts as `{}` only when `allowEmpty`.
private func parseObject(_ body: [UInt8], allowEmpty: Bool) throws(BodyError) -> [String: JSONValue] {
    if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
        guard allowEmpty else { throw BodyError("a JSON object is required") }
        return [:]
    }
    guard let value = JSONValue.parse(body) else { throw BodyError("malformed JSON") }
    guard case .object(let object) = value else {
        throw BodyError("expected a JSON object, got \(value.typeName)")
    }
    return object
}

/// An optional boolean field; a present field of another type (even `"true"`) is an error.
private func optionalBool(_ object: [String: JSONValue], _ key: String) throws(BodyError) -> Bool? {
    switch object[key] {
    case nil: return nil
    case .bool(let value): return value
    case let other?: throw BodyError("\(key) must be a boolean, got \(other.typeName)")
    }
}

/// The body of `POST /accounts/{account_id}/sso_connectors`.
struct CreateRequest: Equatable {
    var emailDomain: String
    var beginVerification: Bool
    var useFedrampLanguage: Bool

    init(emailDomain: String, beginVerification: Bool = true, useFedrampLanguage: Bool = false) {
        self.emailDomain = emailDomain
        self.beginVerification = beginVerification
        self.useFedrampLanguage = useFedrampLanguage
    }

    /// Validates a body as Cloudflare does: `email_domain` required string, the rest optional booleans.
    init(body: [UInt8]) throws(BodyError) {
        let object = try parseObject(body, allowEmpty: false)
        switch object["email_domain"] {
        case nil, .null?:
            throw BodyError("email_domain is required")
        case .string(let value)?:
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw BodyError("email_domain must not be empty")
            }
            emailDomain = value
        case let other?:
            throw BodyError("email_domain must be a string, got \(other.typeName)")
        }
        beginVerification = try optionalBool(object, "begin_verification") ?? true
        useFedrampLanguage = try optionalBool(object, "use_fedramp_language") ?? false
    }
}

/// The body of `PATCH /accounts/{account_id}/sso_connectors/{id}`; an empty body changes nothing.
struct UpdateRequest: Equatable {
    var enabled: Bool?
    var useFedrampLanguage: Bool?

    init(enabled: Bool? = nil, useFedrampLanguage: Bool? = nil) {
        self.enabled = enabled
        self.useFedrampLanguage = useFedrampLanguage
    }

    /// Validates a body: both fields optional booleans.
    init(body: [UInt8]) throws(BodyError) {
        let object = try parseObject(body, allowEmpty: true)
        enabled = try optionalBool(object, "enabled")
        useFedrampLanguage = try optionalBool(object, "use_fedramp_language")
    }
}
