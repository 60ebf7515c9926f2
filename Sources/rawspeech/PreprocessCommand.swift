// `rawspeech preprocess MANIFEST --output DATADIR`: streams every recording in a manifest
// into per-recording sample shards at one rate and writes DATADIR/summary.json
// (Corpus/Preprocessor does the work; this file parses flags and shows progress).
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechDistributed
import RawSpeechIngest

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Turn a manifest's recordings into checksummed sample shards and summary.json.",
        discussion: """
        Resumable: a rerun keeps every shard that is complete, checksum-valid and made from the \
        bytes the manifest names. A bad file stops the run with an error naming it and its \
        manifest line, unless --skip-bad lists it in summary.json instead. Audio is read only \
        under the manifest's folder or the current folder (--allow-outside lifts this), and \
        headerless ("encoding") only from files named .raw, .pcm, .sln and the like. Manifests \
        may be gzip-compressed and have CRLF line ends.
        """)

    @Argument(help: "The manifest (.jsonl).")
    var manifest: String

    @Option(name: .long, help: "The data folder to write.")
    var output: String

    @Option(name: .customLong("sample-rate"), help: "Target sample rate in Hz.")
    var sampleRate: Int = 16_000

    @Option(help: "Files processed in parallel (default: one per core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("frame-input"), help: "Samples the network sees per step.")
    var frameInput: Int = FrameSpec.paper.input

    @Option(name: .customLong("frame-target"), help: "Samples it predicts per step.")
    var frameTarget: Int = FrameSpec.paper.target

    @Option(name: .customLong("frame-hop"), help: "Samples between steps.")
    var frameHop: Int = FrameSpec.paper.hop

    @Flag(name: .customLong("skip-bad"), help: "Skip unreadable files (listed in summary.json) instead of failing.")
    var skipBad = false

    @Flag(name: .customLong("allow-outside"),
          help: "Read audio outside the manifest's folder and the current folder (only for manifests you trust).")
    var allowOutside = false

    func validate() throws {
        guard (1000 ... 384_000).contains(sampleRate) else { throw ValidationError("--sample-rate must be in 1000...384000") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard frameInput >= 1, frameTarget >= 1, frameHop >= 1 else { throw ValidationError("frame sizes must be positive") }
    }

    func run() throws {
        // Under mpirun: this rank's share of the recordings; rank 0 writes summary.json and prints.
        let job = try MPIWorld.job()
        let manifest = try Manifest.load(URL(fileURLWithPath: manifest), skipBad: skipBad)
        let options = PreprocessOptions(sampleRate: sampleRate,
                                        frame: FrameSpec(input: frameInput, target: frameTarget, hop: frameHop),
                                        jobs: jobs, skipBad: skipBad, allowOutside: allowOutside)
        if let job, job.rank > 0 {
            _ = try Preprocessor.run(manifest: manifest, output: URL(fileURLWithPath: output), options: options, group: job)
            return
        }
        for line in manifest.rejected { FileHandle.standardError.write(Data("skipped \(line.error)\n".utf8)) }
        // Rank 0's bar counts its own share: entries 0, N, 2N, ...
        let shown = stride(from: 0, to: manifest.entries.count, by: job?.count ?? 1).map { manifest.entries[$0] }
        let display = ProgressDisplay(total: shown.reduce(0) { $0 + $1.duration }, unit: "s")
        let summary = try Preprocessor.run(manifest: manifest, output: URL(fileURLWithPath: output),
                                           options: options, group: job) { event in
            switch event {
            case .started(let files, let seconds):
                display.log(String(format: "preprocessing %d files, %.1f s of audio, jobs %d", files, seconds, options.jobs))
            case .finished(let name, let line, let seconds, let reused):
                display.advance(by: seconds, line: String(format: "%@ line %d: %.2f s%@", name, line, seconds,
                                                          reused ? " (kept from earlier run)" : ""))
            case .skipped(let file):
                display.log("skipped line \(file.line ?? 0): \(file.error)")
            case .removedStaleTemporaries(let paths):
                display.log("removed \(paths.count) temporary shard\(paths.count == 1 ? "" : "s") left by an interrupted run")
            }
        }
        display.finish()
        guard let summary else { return }
        print(Self.describe(summary, folder: output))
    }

    /// The summary as a few human lines (summary.json has everything).
    static func describe(_ summary: DataSummary, folder: String) -> String {
        var lines = ["\(folder)/summary.json: \(summary.sampleRate) Hz, frames \(summary.frame.input) in, "
                     + "\(summary.frame.target) out, hop \(summary.frame.hop)"]
        for split in Split.allCases {
            let s = summary.splits[split.rawValue] ?? SplitSummary()
            let name = split.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
            lines.append("  \(name) " + String(format: "%4d files %9.2f s %11d samples %9d frames",
                                                s.files, s.seconds, s.samples, s.frames))
        }
        lines.append(String(format: "  train_mean %.6g  train_std %.6g", summary.trainMean, summary.trainStd))
        if !summary.skipped.isEmpty { lines.append("  skipped \(summary.skipped.count) bad files (listed in summary.json)") }
        return lines.joined(separator: "\n")
    }
}

/// MPI ranks preprocess a manifest together (RawSpeechDistributed has what the protocol asks).
extension MPIWorld: PreprocessGroup {}
