// `rawspeech preprocess MANIFEST --output DATADIR`: streams every recording in a manifest
// into one memory-mapped sample store per split at one rate and writes DATADIR/summary.json
// (Corpus/Preprocessor does the work; this file parses flags and shows progress). Given a
// piano-roll JSON instead (JSB Chorales), it writes a music data folder (Ingest/PianoRollSource).
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechDistributed
import RawSpeechIngest

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Turn a manifest's recordings into checksummed sample stores (one per split) and summary.json.",
        discussion: """
        Resumable after a kill at any moment: a rerun keeps every finished recording (and every \
        split store) that is complete, checksum-valid and made from the bytes the manifest names. \
        Samples are stored as 16-bit integers unless --sample-format float32. A bad file stops the run with an error naming it and its \
        manifest line, unless --skip-bad lists it in summary.json instead. Audio is read only \
        under the manifest's folder or the current folder (--allow-outside lifts this), and \
        headerless ("encoding") only from files named .raw, .pcm, .sln and the like. Manifests \
        may be gzip-compressed and have CRLF line ends. Without --sample-rate the recordings keep \
        their own rate, which they must all share; --sample-rate resamples every file (a rate \
        above a file's own upsamples it, and summary.json's bandwidth_hz records the band the \
        data really has).

        Given a piano-roll JSON instead of a manifest (a .json file, or one object with \
        "train", "valid" and "test" arrays of pieces, each a list of time steps, each the MIDI \
        notes sounding, 21...108; e.g. corpora/jsb/jsb_chorales.json), it writes a music data \
        folder: one 88-note roll file per split and summary.json with "kind": "pianoroll". The \
        audio flags do not apply to it. See docs/DATA.md.
        """)

    @Argument(help: "The manifest (.jsonl), or a piano-roll JSON (.json) for music.")
    var manifest: String

    @Option(name: .long, help: "The data folder to write.")
    var output: String

    @Option(name: .customLong("sample-rate"),
            help: "Resample every recording to this rate in Hz (default: the recordings' own rate, which they must share).")
    var sampleRate: Int?

    @Option(help: "Files processed in parallel (default: one per core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("frame-input"), help: "Samples the network sees per step.")
    var frameInput: Int = FrameSpec.paper.input

    @Option(name: .customLong("frame-target"), help: "Samples it predicts per step.")
    var frameTarget: Int = FrameSpec.paper.target

    @Option(name: .customLong("frame-hop"), help: "Samples between steps.")
    var frameHop: Int = FrameSpec.paper.hop

    @Option(name: .customLong("sample-format"),
            help: "How samples are stored: int16 (exact for 16-bit sources, half the size) or float32 (for sources with more).")
    var sampleFormat: String = SampleFormat.int16.rawValue

    @Flag(name: .customLong("skip-bad"), help: "Skip unreadable files (listed in summary.json) instead of failing.")
    var skipBad = false

    @Flag(name: .customLong("allow-outside"),
          help: "Read audio outside the manifest's folder and the current folder (only for manifests you trust).")
    var allowOutside = false

    func validate() throws {
        try check("--sample-rate", sampleRate, in: 1000 ... 384_000)
        try check("--jobs", jobs, in: FlagBounds.threads)
        // Frames of up to 100,000 samples (6 s at 16 kHz; the paper's are 20/10/10).
        try check("--frame-input", frameInput, in: 1 ... 100_000)
        try check("--frame-target", frameTarget, in: 1 ... 100_000)
        try check("--frame-hop", frameHop, in: 1 ... 100_000)
        guard SampleFormat(rawValue: sampleFormat) != nil else {
            throw ValidationError("--sample-format must be int16 or float32 (got \(sampleFormat))")
        }
    }

    func run() throws {
        let input = URL(fileURLWithPath: manifest)
        if PianoRollSource.recognises(input) { return try runPianoRoll(input) }
        // Under mpirun: this rank's share of the recordings; rank 0 writes the stores and
        // summary.json, prints, and alone holds the folder's lock.
        let job = try MPIWorld.job()
        let lock = (job?.rank ?? 0) == 0 ? try FolderLock(folder: URL(fileURLWithPath: output), purpose: "preprocess") : nil
        defer { lock?.release() }
        let manifest = try Manifest.load(URL(fileURLWithPath: manifest), skipBad: skipBad)
        let options = PreprocessOptions(sampleRate: sampleRate,
                                        frame: FrameSpec(input: frameInput, target: frameTarget, hop: frameHop),
                                        jobs: jobs, skipBad: skipBad, allowOutside: allowOutside,
                                        sampleFormat: SampleFormat(rawValue: sampleFormat) ?? .int16)
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
        if summary.bandwidthHz < Double(summary.sampleRate) / 2 {
            let low = summary.recordings.filter { ($0.sourceRate ?? summary.sampleRate) < summary.sampleRate }
            printError("note: \(low.count) recording(s) upsampled to \(summary.sampleRate) Hz from "
                + summary.sourceRates.filter { $0 < summary.sampleRate }.map { "\($0) Hz" }.joined(separator: ", ")
                + String(format: ": the data has no content above %.0f Hz (bandwidth_hz in summary.json)", summary.bandwidthHz))
        }
        print(Self.describe(summary, folder: output))
    }

    /// A piano-roll JSON into a music data folder: read whole, checked, written (2 MB for JSB).
    func runPianoRoll(_ input: URL) throws {
        // Under mpirun the work is one small file: rank 0 does it alone.
        if let job = try MPIWorld.job(), job.rank > 0 { return }
        let audioFlags = [("--sample-rate", sampleRate != nil), ("--frame-input", frameInput != FrameSpec.paper.input),
                          ("--frame-target", frameTarget != FrameSpec.paper.target), ("--frame-hop", frameHop != FrameSpec.paper.hop),
                          ("--sample-format", sampleFormat != SampleFormat.int16.rawValue), ("--skip-bad", skipBad),
                          ("--allow-outside", allowOutside)].filter(\.1).map(\.0)
        guard audioFlags.isEmpty else {
            throw ValidationError("\(manifest) is a piano-roll file, and \(audioFlags.joined(separator: ", ")) only apply to audio manifests")
        }
        let lock = try FolderLock(folder: URL(fileURLWithPath: output), purpose: "preprocess")
        defer { lock.release() }
        let summary = try PianoRollSource.preprocess(input, output: URL(fileURLWithPath: output))
        print(Self.describe(summary, folder: output))
    }

    /// A music folder's summary as a few human lines.
    static func describe(_ summary: PianoRollSummary, folder: String) -> String {
        var lines = ["\(folder)/summary.json: piano rolls of \(summary.notes) notes (MIDI \(summary.lowestNote)-"
                     + "\(summary.lowestNote + summary.notes - 1)) from \(summary.source)"]
        for split in Split.allCases {
            let s = summary.split(split)
            let name = split.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
            lines.append("  \(name) " + String(format: "%4d pieces %7d steps  %.2f notes per step",
                                                s.sequences, s.steps, Double(s.notesOn) / Double(max(1, s.steps))))
        }
        return lines.joined(separator: "\n")
    }

    /// The summary as a few human lines (summary.json has everything).
    static func describe(_ summary: DataSummary, folder: String) -> String {
        let band = summary.bandwidthHz < Double(summary.sampleRate) / 2
            ? String(format: " (upsampled: band 0-%.0f Hz)", summary.bandwidthHz) : ""
        var lines = ["\(folder)/summary.json: \(summary.sampleRate) Hz\(band), frames \(summary.frame.input) in, "
                     + "\(summary.frame.target) out, hop \(summary.frame.hop)"]
        for split in Split.allCases {
            let s = summary.splits[split.rawValue] ?? SplitSummary()
            let name = split.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
            lines.append("  \(name) " + String(format: "%4d files %9.2f s %11d samples %9d frames",
                                                s.files, s.seconds, s.samples, s.frames))
        }
        lines.append(String(format: "  train_mean %.6g  train_std %.6g", summary.trainMean, summary.trainStd)
                     + "  samples \(summary.sampleFormat?.rawValue ?? "float32 shards")")
        if !summary.skipped.isEmpty { lines.append("  skipped \(summary.skipped.count) bad files (listed in summary.json)") }
        return lines.joined(separator: "\n")
    }
}

/// MPI ranks preprocess a manifest together (RawSpeechDistributed has what the protocol asks).
extension MPIWorld: PreprocessGroup {}
