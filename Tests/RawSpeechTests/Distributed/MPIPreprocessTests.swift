// `mpirun -np N rawspeech preprocess`: the ranks deal the recordings out and rank 0 writes
// summary.json from everyone's results in manifest order, so the data folder is the one a
// single process writes, byte for byte — skipped bad files included.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio

@Suite(.serialized) struct MPIPreprocessTests {
    /// Every regular file under `folder`, by relative path, with its bytes.
    static func contents(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let root = URL(fileURLWithPath: folder)
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true,
                  url.lastPathComponent != FolderLock.fileName else { continue }  // the lock holds a pid
            files[String(url.path.dropFirst(root.path.count))] = try Data(contentsOf: url)
        }
        return files
    }

    @Test func ranksWriteTheFolderOneProcessWrites() throws {
        let scratch = ScratchFolder()
        let corpus = scratch.file("corpus")
        for (i, speaker) in ["ann", "ben", "cy", "dee", "eve"].enumerated() {
            let dir = corpus.appendingPathComponent(speaker)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for take in 0 ..< 2 {
                let signal = syntheticSignal(seconds: 0.5 + 0.25 * Double(take), seed: UInt64(10 * i + take))
                try AudioFile.write(signal, sampleRate: 22050, to: dir.appendingPathComponent("take\(take).wav"))
            }
        }
        let manifest = scratch.file("m.jsonl").path
        let made = try TrainCommandTests.command(["manifest", corpus.path, "--output", manifest, "--valid", "0.2",
                                                  "--test", "0.2", "--seed", "2"])
        #expect(made.status == 0, "\(made.stderr)")
        // One file changes after the manifest was written: its sha256 no longer matches.
        let bad = corpus.appendingPathComponent("cy/take1.wav")
        var bytes = try Data(contentsOf: bad)
        bytes[bytes.count - 1] ^= 0xff
        try bytes.write(to: bad)

        let alone = scratch.file("alone").path
        let one = try TrainCommandTests.command(["preprocess", manifest, "--output", alone, "--skip-bad", "--jobs", "2"])
        #expect(one.status == 0, "\(one.stderr)")
        let expected = try Self.contents(alone)
        // summary.json, summary.sha256, and each split's samples and index.
        #expect(expected.count == 8, "\(expected.keys.sorted())")
        #expect(String(decoding: expected["/summary.json"] ?? Data(), as: UTF8.self).contains("take1.wav"))

        // A rerun keeps every shard. (Its train_std can differ from a fresh run's in the last
        // bits: Shard.read re-adds the statistics in other blocks than the writer did; so the
        // ranks' rerun is held to one process's rerun.)
        let rerun = try TrainCommandTests.command(["preprocess", manifest, "--output", alone, "--skip-bad"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let expectedRerun = try Self.contents(alone)

        for ranks in [2, 3] {
            let folder = scratch.file("ranks\(ranks)").path
            let ran = try MPIRun.run(ranks: ranks, ["preprocess", manifest, "--output", folder, "--skip-bad", "--jobs", "1"])
            #expect(ran.status == 0, "\(ran.output)")
            let written = try Self.contents(folder)
            #expect(written.keys.sorted() == expected.keys.sorted(), "\(ranks) ranks: other files")
            for (path, data) in expected where written[path] != data {
                Issue.record("\(ranks) ranks: \(path) differs from one process's")
            }
            // The same command again keeps every shard (rank 0 still gathers everyone's).
            let again = try MPIRun.run(ranks: ranks, ["preprocess", manifest, "--output", folder, "--skip-bad"])
            #expect(again.status == 0, "\(again.output)")
            let rewritten = try Self.contents(folder)
            #expect(rewritten.keys.sorted() == expectedRerun.keys.sorted(), "\(ranks) ranks, rerun: other files")
            for (path, data) in expectedRerun where rewritten[path] != data {
                Issue.record("\(ranks) ranks, rerun: \(path) differs from one process's rerun")
            }
        }
    }
}

/// `mpirun -np 2 rawspeech compare`: every phase's runs dealt over the ranks, rank 0 measures.
@Suite(.serialized) struct MPICompareTests {
    @Test func ranksShareTheRunsAndRankZeroWritesTheResults() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let out = scratch.file("cmp").path
        let arguments = ["compare", data, "--cells", "tanh,gru", "--params", "3k", "--learning-rates", "1e-3,3e-3",
                         "--seeds", "2", "--minutes", "0.01", "--batch", "4", "--steps", "10",
                         "--eval-every", "10", "--jobs", "1", "--output", out]
        let ran = try MPIRun.run(ranks: 2, arguments)
        #expect(ran.status == 0, "\(ran.output)")
        // Phase 1 is the linear baseline alone (on rank 0), then 4 trials: 2 on each rank.
        #expect(ran.output.contains("[1/1] started linear") && ran.output.contains("[2/2] started"), "\(ran.output)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as! [String: Any]
        #expect((json["cells"] as! [[String: Any]]).map { $0["cell"] as! String } == ["tanh", "gru", "linear"])
        #expect(FileManager.default.fileExists(atPath: out + "/results.md"))
        #expect(ran.output.components(separatedBy: "results: ").count == 2, "only rank 0 prints the results")
    }
}
