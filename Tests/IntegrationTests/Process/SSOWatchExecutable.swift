import Foundation

/// Finds the built `ssowatch` executable. SwiftPM puts it in the build products directory, next to
/// the test bundle (`.build/debug/ssowatch` is a link to `.build/<triple>/debug/ssowatch`).
enum SSOWatchExecutable {
    /// Overrides the search, e.g. to test an installed binary.
    static let environmentVariable = "SSOWATCH_TEST_BINARY"

    /// The executable's location, found once per test process.
    static func url() throws -> URL {
        try located.get()
    }

    private static let located: Result<URL, HarnessError> = locate()

    private static func locate() -> Result<URL, HarnessError> {
        let fileManager = FileManager.default
        if let override = ProcessInfo.processInfo.environment[environmentVariable], !override.isEmpty {
            return fileManager.isExecutableFile(atPath: override)
                ? .success(URL(fileURLWithPath: override))
                : .failure(HarnessError("\(environmentVariable)=\(override) is not an executable file"))
        }
        var searched: [String] = []
        for start in startingPoints() {
            // The test runner is the products directory's own file on Linux; on macOS it sits inside
            // `ssowatchPackageTests.xctest/Contents/MacOS/`, three levels deeper.
            var directory = start.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("ssowatch")
                if !searched.contains(directory.path) { searched.append(directory.path) }
                var isDirectory: ObjCBool = false
                if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    fileManager.isExecutableFile(atPath: candidate.path)
                {
                    return .success(candidate.standardizedFileURL)
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        return .failure(
            HarnessError(
                "the ssowatch executable was not found next to the test bundle (looked in: "
                    + searched.joined(separator: ", ") + "). Build it with `swift build` (or run the tests with "
                    + "`swift test`, which builds it), or set \(environmentVariable) to its path."))
    }

    /// Paths of the running test executable, most reliable first, with symbolic links resolved.
    private static func startingPoints() -> [URL] {
        var paths: [String] = []
        if let executable = Bundle.main.executableURL?.path { paths.append(executable) }
        paths += Bundle.allBundles.map(\.bundlePath).filter { $0.hasSuffix(".xctest") }.map { $0 + "/x" }
        if let argument = CommandLine.arguments.first, argument.contains("/") {
            paths.append(
                argument.hasPrefix("/") ? argument : FileManager.default.currentDirectoryPath + "/" + argument)
        }
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            paths.append(link)
        }
        var seen: Set<String> = []
        return paths.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath() }.filter { seen.insert($0.path).inserted }
    }
}
