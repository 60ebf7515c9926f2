// Core's AtomicFile, the one way files are replaced: a reader sees the old file or the whole
// new one; a failed or abandoned write leaves the old file and no temporary behind.
import Foundation
import Testing
@testable import RawSpeechCore

@Suite struct AtomicFileTests {
    func entries(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func replacesOrLeavesTheOldFile() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("a.txt")
        try AtomicFile.write(Data("old".utf8), to: url)
        struct Broken: Error {}
        #expect(throws: RecordFileError.self) {
            try AtomicFile.write(to: url) { temporary in
                try Data("half".utf8).write(to: temporary)
                throw Broken()
            }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "old")
        #expect(try entries(scratch.url) == ["a.txt"], "no temporary left behind")
        try AtomicFile.write(to: url) { try Data("new".utf8).write(to: $0) }
        #expect(try String(contentsOf: url, encoding: .utf8) == "new")
        #expect(try entries(scratch.url) == ["a.txt"])
    }

    /// A target in a folder that does not exist names the folder (Foundation's own message,
    /// "The file doesn't exist", left users looking for the file they were about to write).
    @Test func aMissingFolderIsNamed() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("missing/out.mid")
        #expect { try AtomicFile.write(Data("x".utf8), to: url) } throws: {
            "\($0)".contains("no folder \(scratch.file("missing").path)")
        }
        #expect(try entries(scratch.url).isEmpty)
    }

    @Test func pendingFilesCommitOrVanish() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("b.bin")
        do {
            let pending = AtomicFile.Pending(url)
            try Data([1, 2]).write(to: pending.temporaryURL)
            #expect(pending.temporaryURL.deletingLastPathComponent() == url.deletingLastPathComponent())
            #expect(!FileManager.default.fileExists(atPath: url.path), "nothing at the target before commit")
        }
        #expect(try entries(scratch.url).isEmpty, "dropped uncommitted: the temporary is removed")
        let pending = AtomicFile.Pending(url)
        try Data([3]).write(to: pending.temporaryURL)
        try pending.commit()
        try pending.commit()   // once only
        pending.discard()      // after commit: nothing to discard
        #expect(try Data(contentsOf: url) == Data([3]))
        let other = AtomicFile.Pending(url)
        #expect(other.temporaryURL != pending.temporaryURL, "two writers of one file never share a temporary")
        #expect(throws: RecordFileError.self) { try AtomicFile.Pending(scratch.file("missing/c")).commit() }
    }

    /// commit() syncs the file before renaming it: a file and a folder sync; a path that is not
    /// there is named in the reason.
    @Test func flushSyncsOrSaysWhy() throws {
        let scratch = ScratchFolder()
        let file = scratch.file("synced")
        try AtomicFile.write(Data([1, 2, 3]), to: file)
        #expect(AtomicFile.flush(file.path) == nil)
        #expect(AtomicFile.flush(file.deletingLastPathComponent().path) == nil)
        let missing = scratch.file("absent").path
        let reason = try #require(AtomicFile.flush(missing))
        #expect(reason.contains(missing))
    }
}
