/// Why a socket operation or a wait in a test failed, in words for the test report.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
