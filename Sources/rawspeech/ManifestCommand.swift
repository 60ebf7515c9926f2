// `rawspeech manifest DIR --output FILE.jsonl`: lists a folder's recordings as a manifest
// with durations, SHA-256s, speakers and seeded splits; `rawspeech manifest --from OLD.jsonl
// --output NEW.jsonl` gives an existing manifest (splits or not) the same seeded splits
// (Ingest/ManifestBuilder does the work).
import ArgumentParser
import Foundation
import RawSpeechCorpus
import RawSpeechIngest

struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Write a JSON-lines manifest of every audio file under a folder.",
        discussion: """
        Fields: audio_filepath (relative to the manifest's folder), duration, split, speaker, sha256. \
        The speaker is the name of the folder that holds the file, unless --speaker-level N names \
        it by the N-th folder below DIR (LibriSpeech's SPEAKER/CHAPTER/utt.flac: --speaker-level 1). \
        Symbolic links are followed (each real folder once). Headerless files are not recognised; \
        add them by hand with sample_rate, encoding and channels. Files libsndfile opens but \
        rawspeech would refuse (implausible rate, truncated) are left out and listed on stderr.

        With --from OLD.jsonl instead of DIR, every line of OLD (which may lack "split" and \
        "speaker") gets a split by the same rule and flags; a line without "speaker" gets the \
        name of the folder holding its file.
        """)

    @Argument(help: "Folder to scan (recursively, following symbolic links).")
    var directory: String?

    @Option(name: .customLong("from"),
            help: ArgumentHelp("Assign splits to this existing manifest instead of scanning a folder.", valueName: "manifest"))
    var from: String?

    @Option(name: .customLong("speaker-level"),
            help: ArgumentHelp("The N-th folder below DIR names the speaker (1: the first, as in LibriSpeech). "
                               + "Default: the folder holding the file.", valueName: "n"))
    var speakerLevel: Int?

    @Option(name: .long, help: "The manifest to write (.jsonl).")
    var output: String

    @Option(help: "Share of speakers (or files) held out for validation.")
    var valid: Double = 0.1

    @Option(help: "Share held out for testing.")
    var test: Double = 0.1

    @Option(name: .customLong("split-by"), help: "Unit of splitting: speaker or file.")
    var splitBy: SplitOptions.Unit = .speaker

    @Option(help: "Seed of the split's shuffle (same seed, same files: same splits).")
    var seed: UInt64 = 0

    func validate() throws {
        guard (directory == nil) != (from == nil) else { throw ValidationError("give either a folder to scan or --from MANIFEST") }
        if let speakerLevel {
            try check("--speaker-level", speakerLevel, in: 1 ... 1_000)
            guard directory != nil else { throw ValidationError("--speaker-level needs a folder to scan, not --from") }
        }
        guard (0 ... 1).contains(valid), (0 ... 1).contains(test), valid + test < 1 else {
            throw ValidationError("--valid and --test must be in [0, 1] and sum to less than 1")
        }
    }

    func run() throws {
        let outputURL = URL(fileURLWithPath: output)
        let options = SplitOptions(valid: valid, test: test, by: splitBy, seed: seed)
        let manifest: Manifest
        if let from {
            manifest = ManifestBuilder.resplit(try Manifest.load(URL(fileURLWithPath: from), requireSplit: false),
                                               writingTo: outputURL, options: options)
        } else {
            manifest = try ManifestBuilder.scan(directory: URL(fileURLWithPath: directory ?? ".", isDirectory: true),
                                                manifestURL: outputURL, options: options, speakerLevel: speakerLevel)
        }
        for file in manifest.rejected { FileHandle.standardError.write(Data("left out \(file.error)\n".utf8)) }
        try manifest.write(to: outputURL)
        var counts: [Split: (files: Int, seconds: Double)] = [:]
        for entry in manifest.entries {
            counts[entry.split, default: (0, 0)].files += 1
            counts[entry.split, default: (0, 0)].seconds += entry.duration
        }
        let parts = Split.allCases.map { split in
            let c = counts[split] ?? (0, 0)
            return "\(split.rawValue) \(c.files) files \(String(format: "%.1f", c.seconds)) s"
        }
        print("wrote \(output): \(manifest.entries.count) files (\(parts.joined(separator: ", ")))")
    }
}

extension SplitOptions.Unit: ExpressibleByArgument {}
