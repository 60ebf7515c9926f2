// `rawspeech manifest DIR --output FILE.jsonl`: lists a folder's recordings as a manifest
// with durations, SHA-256s, speakers and seeded splits (Corpus/ManifestBuilder does the work).
import ArgumentParser
import Foundation
import RawSpeechCorpus
import RawSpeechIngest

struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Write a JSON-lines manifest of every audio file under a folder.",
        discussion: """
        Fields: audio_filepath (relative to the manifest's folder), duration, split, speaker \
        (the parent folder's name), sha256. Headerless files are not recognised; add them by hand \
        with sample_rate, encoding and channels.
        """)

    @Argument(help: "Folder to scan (recursively).")
    var directory: String

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
        guard (0 ... 1).contains(valid), (0 ... 1).contains(test), valid + test < 1 else {
            throw ValidationError("--valid and --test must be in [0, 1] and sum to less than 1")
        }
    }

    func run() throws {
        let outputURL = URL(fileURLWithPath: output)
        let manifest = try ManifestBuilder.scan(
            directory: URL(fileURLWithPath: directory, isDirectory: true), manifestURL: outputURL,
            options: SplitOptions(valid: valid, test: test, by: splitBy, seed: seed))
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
