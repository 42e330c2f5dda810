/// Why `JSONByteReader` could not read what its caller expected: where (a byte offset and the keys leading to
/// the value) and what was wrong, worded for a person fixing the file.
package struct JSONReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    package enum Problem: Sendable, Equatable {
        /// The text is not JSON, e.g. `expected ',' or '}'`.
        case syntax(String)
        /// A JSON value of another kind than the one expected: `expected` and `found` are phrases such as
        /// `a boolean`, `a string`, `1.5`.
        case type(expected: String, found: String)
        /// A required key is absent.
        case missingKey(String)
        /// A value of the right kind that is not allowed, e.g. `unknown status "revoked"`.
        case invalid(String)
    }

    /// One step from the top level to the value concerned.
    package enum PathElement: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    package var problem: Problem
    /// Where it was found, in bytes from the start of the text.
    package var offset: Int
    /// The keys and indexes leading from the top level to the value concerned, outermost first.
    package var path: [PathElement] = []

    package init(_ problem: Problem, at offset: Int, path: [PathElement] = []) {
        self.problem = problem
        self.offset = offset
        self.path = path
    }

    /// The same error seen from the value that holds the one concerned.
    package func inside(_ element: PathElement) -> JSONReadError {
        var error = self
        error.path.insert(element, at: 0)
        return error
    }

    /// `accounts.023e….connectors.c1.status`, `outbox[0].attempts`, or `the top level`.
    package var pathDescription: String {
        guard !path.isEmpty else { return "the top level" }
        var text = ""
        for element in path {
            switch element {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    /// One line: `not valid JSON at byte 12: expected ':' after a key`, `missing key "failing" in webhooks.ops`,
    /// `expected a boolean, found a string at accounts.x.connectors.c1.enabled`. Bytes count from 1.
    package var description: String {
        switch problem {
        case .syntax(let detail): return "not valid JSON at byte \(offset + 1): \(detail)"
        case .type(let expected, let found): return "expected \(expected), found \(found) at \(pathDescription)"
        case .missingKey(let key): return "missing key \"\(key)\"" + (path.isEmpty ? "" : " in \(pathDescription)")
        case .invalid(let detail): return "\(detail) at \(pathDescription)"
        }
    }

    /// Whether the text itself is not JSON (rather than JSON holding something unexpected).
    package var isSyntax: Bool {
        if case .syntax = problem { return true }
        return false
    }
}
