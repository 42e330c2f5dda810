import Foundation
import Testing

@testable import SSOWatchConfig
@testable import SSOWatchDaemon
@testable import SSOWatchModel
@testable import SSOWatchNotify
@testable import SSOWatchState

private typealias F = MonitorFixtures

/// `StateFileLock` and the health file beside the state: the errors a user can reach when the lock cannot
/// be taken or the health cannot be kept, and which leftover names count as an interrupted write's.
@Suite struct StateFileLockUnitTests {
    @Test func aSecondLockOnTheSameStateNamesTheHoldersPID() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            var first: StateFileLock? = try StateFileLock(statePath: path)
            #expect(throws: StateFileError.locked(path: path, lockPath: path + ".lock", pid: Int(getpid()))) {
                _ = try StateFileLock(statePath: path)
            }
            #expect(first != nil)
            first = nil
            // Released with its holder: the lock can be taken again.
            _ = try StateFileLock(statePath: path)
        }
    }

    @Test func aLockThatCannotBeCreatedSaysWhereAndWhy() throws {
        try F.withTemporaryDirectory { directory in
            // The state file's directory would have to be created inside a regular file.
            let blocker = directory + "/not-a-directory"
            try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
            let path = blocker + "/state.json"
            do throws(StateFileError) {
                _ = try StateFileLock(statePath: path)
                Issue.record("a lock under a regular file was taken")
            } catch {
                guard case .lockFailed(let failedPath, let lockPath, let reason) = error else {
                    Issue.record("expected lockFailed, got \(error)")
                    return
                }
                #expect(failedPath == path && lockPath == path + ".lock")
                #expect(!reason.isEmpty)
                #expect(error.description.contains("cannot lock the state file \(path)"))
            }
        }
    }

    @Test func theHealthRecordReadsBackAndSaysWhenItCannotBeKept() throws {
        try F.withTemporaryDirectory { directory in
            let path = directory + "/state.json"
            let record = StateHealth(lastSaved: F.t0, lastError: "No space left on device (errno 28) \"quoted\"")
            #expect(JournaledStateFile(path: path).recordHealth(record))
            #expect(JournaledStateFile.health(ofStateFile: path) == record)
            let size = try FileManager.default.attributesOfItem(atPath: path + ".health")[.size] as? Int
            #expect(size == 4096, "allocated whole, overwritten in place")

            let blocker = directory + "/not-a-directory"
            try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
            #expect(!JournaledStateFile(path: blocker + "/state.json").recordHealth(record))
        }
    }

    @Test func onlyTheTemporaryNamesOfThisStateFileAreLeftovers() {
        #expect(StateFileLock.isTemporaryName(".state.json.tmp-0123456789abcdef", of: "state.json"))
        #expect(StateFileLock.isTemporaryName(".state.json.journal.tmp-0123456789abcdef", of: "state.json"))
        #expect(!StateFileLock.isTemporaryName(".other.json.tmp-0123456789abcdef", of: "state.json"))
        #expect(!StateFileLock.isTemporaryName(".state.json.tmp-0123", of: "state.json"))
        #expect(!StateFileLock.isTemporaryName(".state.json.tmp-0123456789abcdeg", of: "state.json"))
        #expect(!StateFileLock.isTemporaryName("state.json.lock", of: "state.json"))
    }
}
