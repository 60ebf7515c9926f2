// The fuzz harnesses: each takes libFuzzer's bytes, hands them to one of rawspeech's
// readers exactly as a user's file would reach it, and lets every thrown error pass (an
// error is the right answer to bad input). A trap, a sanitizer report or a hang is a bug;
// libFuzzer saves the input that caused it, and tools/fuzz tells how to commit it as a
// regression input under tools/fuzz/regressions/TARGET/.
import Foundation
import RawSpeechAudio
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechIngest
import RawSpeechTraining

enum Harness: String, CaseIterable {
    case manifest, audio, shard, checkpoint, json, pianoroll

    /// Where a harness writes the bytes it reads back as a file (one per process).
    static let scratch: URL = {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("rawspeech-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }()

    func run(_ bytes: Data) {
        switch self {
        case .manifest:
            let url = Harness.scratch.appendingPathComponent("m.jsonl")
            try? bytes.write(to: url)
            _ = try? Manifest.load(url, skipBad: false)
            _ = try? Manifest.load(url, skipBad: true)
        case .audio:
            // The first byte picks the container's name, so libsndfile's format guessing by
            // extension and by content are both exercised; raw input gets a raw format.
            let names = ["a.wav", "a.flac", "a.ogg", "a.aiff", "a.au", "a.raw"]
            let name = names[Int(bytes.first ?? 0) % names.count]
            let url = Harness.scratch.appendingPathComponent(name)
            try? bytes.dropFirst().write(to: url)
            let raw = name.hasSuffix(".raw") ? RawFormat(sampleRate: 8_000) : nil
            if let reader = try? AudioReader(url: url, raw: raw, sampleRate: 16_000, blockFrames: 4_096) {
                var total = 0
                // Bounded: a header may claim hours of audio; a few seconds prove the path.
                try? reader.forEachBlock { block in
                    total += block.count
                    if total > 1 << 18 { throw FuzzStop() }
                }
            }
        case .shard:
            let url = Harness.scratch.appendingPathComponent("s.shard")
            try? bytes.write(to: url)
            _ = try? Shard.header(url)
            _ = try? Shard.read(url)
        case .checkpoint:
            // The bytes are the body of a record file; the harness appends a valid SHA-256,
            // so the parser behind the checksum is what gets fuzzed (a crafted file can
            // always carry a correct checksum).
            for magic in ["RSMODEL\u{1}", "RSCKPT\u{1}\u{1}"] {
                var body = Data(magic.utf8)
                body.append(bytes)
                body.append(contentsOf: SHA256.digest(body))
                let url = Harness.scratch.appendingPathComponent("c.ckpt")
                try? body.write(to: url)
                _ = try? Checkpoint.loadModel(from: url)
            }
        case .json:
            let decoder = RunFolder.decoder()
            _ = try? decoder.decode(DataSummary.self, from: bytes)
            _ = try? decoder.decode(MetricsLine.self, from: bytes)
            _ = try? decoder.decode(RunOutcome.self, from: bytes)
            _ = try? decoder.decode(PianoRollSummary.self, from: bytes)
            let run = RunFolder(url: Harness.scratch.appendingPathComponent("run", isDirectory: true))
            try? FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
            try? bytes.write(to: run.metrics)
            _ = try? run.readMetrics()
        case .pianoroll:
            // The bytes as a piano-roll JSON (preprocess's input), then as the body of a
            // rolls file with a valid SHA-256, named by a summary.json that carries that
            // file's hash: the parser behind both checksums is what gets fuzzed.
            let json = Harness.scratch.appendingPathComponent("p.json")
            try? bytes.write(to: json)
            _ = try? PianoRollSource(url: json)
            let folder = Harness.scratch.appendingPathComponent("rolls", isDirectory: true)
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var body = Data(PianoRollFolder.magic.utf8)
            body.append(bytes)
            body.append(contentsOf: SHA256.digest(body))
            try? body.write(to: folder.appendingPathComponent("train.rolls"))
            let entry = PianoRollSplitSummary(sequences: 1, steps: Int(bytes.first ?? 1), notesOn: 0, file: "train.rolls",
                                              sha256: SHA256.hex(SHA256.digest(body)))
            try? DataFolder.writeSummary(PianoRollSummary(source: "fuzz", sourceSHA256: "", splits: ["train": entry]), to: folder)
            _ = try? PianoRollFolder(url: folder).sequences(.train)
        }
    }
}

struct FuzzStop: Error {}

/// Chosen once from RAWSPEECH_FUZZ_TARGET (tools/fuzz sets it).
let selected: Harness = {
    let name = ProcessInfo.processInfo.environment["RAWSPEECH_FUZZ_TARGET"] ?? ""
    guard let harness = Harness(rawValue: name) else {
        let known = Harness.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("RAWSPEECH_FUZZ_TARGET must be one of: \(known)\n".utf8))
        exit(2)
    }
    return harness
}()

/// One input, as libFuzzer hands it over (also under libFuzzer's usual name, which its
/// runtime references).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    selected.run(Data(bytes: data, count: size))
    return 0
}

// libFuzzer's own driver, started from our main: SwiftPM renames an executable's main, so
// libFuzzer's `main` cannot be used as is.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
struct RawSpeechFuzz {
    static func main() {
        _ = selected
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
    }
}
