// `rawspeech verify DATADIR`: reads every sample of a data folder and checks it against its
// checksums (each store block's SHA-256, or each version-1 shard's), which training and
// scoring otherwise do only for the blocks they touch. Exit 0: intact; 1: damaged, with the
// file and block named. A piano-roll (music) folder is checked whole: each split's rolls file
// against its own SHA-256 and summary.json's.
import ArgumentParser
import Foundation
import RawSpeechCorpus

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every sample of a data folder against its checksums.",
        discussion: """
        Training and scoring verify each 1 MiB block of a split's samples the first time they \
        read it; this reads them all, so damage anywhere is found now rather than mid-run. A \
        piano-roll (music) folder's rolls files are checked whole against their SHA-256s.
        """)

    @Argument(help: "The data folder (written by `rawspeech preprocess`).")
    var dataFolder: String

    func run() throws {
        let display = ProgressDisplay()
        do {
            let url = URL(fileURLWithPath: dataFolder)
            if try DataKind.of(folder: url) == .pianoroll {
                let folder = try PianoRollFolder(url: url)
                let bytes = try folder.verifyAll()
                let pieces = folder.summary.splits.values.reduce(0) { $0 + $1.sequences }
                print(String(format: "%@: intact: %d pieces, %.1f MB of piano rolls checked", dataFolder, pieces, Double(bytes) / 1e6))
                return
            }
            let folder = try DataFolder(url: url)
            let start = Date()
            var checked = 0
            try folder.verifyAll { done, total in
                checked = done
                display.update(String(format: "verified %.1f of %.1f MB", Double(done) / 1e6, Double(total) / 1e6))
            }
            display.finish()
            let recordings = folder.summary.recordings.count
            print(String(format: "%@: intact: %d recordings, %.1f MB of samples (%@) checked in %.1f s",
                         dataFolder, recordings, Double(checked) / 1e6,
                         folder.summary.sampleFormat.map { "\($0.rawValue) stores" } ?? "version-1 float32 shards",
                         Date().timeIntervalSince(start)))
        } catch {
            display.finish()
            FileHandle.standardError.write(Data("rawspeech verify: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
