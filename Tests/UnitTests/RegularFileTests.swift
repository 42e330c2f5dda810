import Foundation
import Synchronization
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

/// The configuration and secret files are read only when they are regular files (README, "Choices").
@Suite struct RegularFileTests {
    /// A FIFO, a directory or a device in place of the configuration or a secret file is refused before it
    /// is opened: opening a FIFO that has no writer would block the loader forever. A symbolic link to a
    /// regular file is fine.
    @Test func onlyRegularFilesAreRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ssowatch-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let regular = directory.appendingPathComponent("token").path
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: regular))
        let linkToRegular = directory.appendingPathComponent("link").path
        let linkToFIFO = directory.appendingPathComponent("link-to-fifo").path
        try FileManager.default.createSymbolicLink(atPath: linkToRegular, withDestinationPath: regular)
        try FileManager.default.createSymbolicLink(atPath: linkToFIFO, withDestinationPath: fifo)

        // A loader that opened the FIFO would wait for a writer forever: this one comes after a few seconds,
        // so such a loader fails the test instead of hanging it.
        let done = Atomic(false)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 3)
            while !done.load(ordering: .relaxed) {
                let writer = open(fifo, O_WRONLY | O_NONBLOCK)
                if writer >= 0 { close(writer) }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        defer { done.store(true, ordering: .relaxed) }

        let fileSystem = RealConfigFileSystem()
        #expect(try fileSystem.readFile(linkToRegular) == Array("secret\n".utf8))
        for (path, kind) in [
            (fifo, "a FIFO"), (linkToFIFO, "a FIFO"), (directory.path, "a directory"),
            ("/dev/null", "a character device"),
        ] {
            #expect("\(path)") {
                try fileSystem.readFile(path)
            } throws: { error in
                "\(error)" == "not a regular file (it is \(kind))"
            }
        }

        let loader = ConfigLoader(environment: [:])
        let error = #expect(throws: ConfigError.self) { try loader.load(path: fifo) }
        #expect(
            error?.description == "\(fifo):1: cannot read the configuration file: not a regular file (it is a FIFO)")
        let config = directory.appendingPathComponent("ssowatch.ini").path
        try Data((ConfigFixture.account + ["api_token_file = fifo"]).joined(separator: "\n").utf8)
            .write(to: URL(fileURLWithPath: config))
        let secretError = #expect(throws: ConfigError.self) { try loader.load(path: config) }
        #expect(
            secretError?.description
                == "\(config):3: cannot read api_token_file \(fifo): not a regular file (it is a FIFO)")
    }
}
