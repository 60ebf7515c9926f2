// config.json's git_revision is the one recorded when the binary was built: `train` never
// runs git (which would take whatever `git` PATH finds, in a tree that may not be its own).
import Foundation
import Testing
@testable import RawSpeechCore

@Suite struct BuildRevisionTests {
    @Test func trainRecordsTheBuildRevisionWithoutRunningGit() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        // A `git` first on PATH that leaves a mark if anything runs it.
        let bin = scratch.file("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let mark = scratch.file("git-was-run")
        let git = bin.appendingPathComponent("git")
        try "#!/bin/sh\ntouch '\(mark.path)'\necho fake\n".write(to: git, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: git.path)

        let run = scratch.file("run")
        let process = Process()
        process.executableURL = try #require(CommandLineTests.binary(), "rawspeech binary not found")
        process.arguments = ["train", data, "--output", run.path, "--updates", "2"] + TrainCommandTests.tiny
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: mark.path), "train ran git at run time")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["git_revision"] as? String == BuildRevision.revision)
        #expect(BuildRevision.revision != "fake")
    }
}
