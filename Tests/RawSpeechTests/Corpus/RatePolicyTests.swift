// The data folder's rate: the corpus's own when no rate is chosen (8 kHz stays 8 kHz), a
// mix of rates refused with the files of each rate and the flag to pass, upsampling only
// when asked, and summary.json recording the band the data really has (source_rates,
// bandwidth_hz, each recording's source_rate); `preprocess` end to end on a mixed corpus.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct RatePolicyTests {
    /// One-second sines, one file per rate, listed in a manifest (all in the train split).
    func corpus(_ scratch: ScratchFolder, rates: [Int]) throws -> Manifest {
        var entries: [ManifestEntry] = []
        for (i, rate) in rates.enumerated() {
            let url = scratch.file("audio/r\(i)-\(rate).wav")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AudioFile.write(Signals.sine(frequency: 300, sampleRate: rate, count: rate), sampleRate: rate, to: url)
            var entry = ManifestEntry(audioFilepath: "audio/r\(i)-\(rate).wav", duration: 1, split: .train, speaker: "s")
            entry.line = i + 1
            entries.append(entry)
        }
        let manifest = Manifest(entries: entries, url: scratch.file("m.jsonl"))
        try manifest.write(to: manifest.url)
        return manifest
    }

    @Test func anEightKilohertzCorpusStaysAtEightKilohertz() throws {
        let scratch = ScratchFolder()
        let summary = try Preprocessor.run(manifest: try corpus(scratch, rates: [8000, 8000]), output: scratch.file("d"),
                                           options: PreprocessOptions(jobs: 1))
        #expect(summary.sampleRate == 8000)
        #expect(summary.sourceRates == [8000] && summary.bandwidthHz == 4000)
        #expect(summary.splits["train"]!.samples == 16000)
        #expect(summary.recordings.allSatisfy { $0.sourceRate == 8000 })
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.file("d/summary.json"))) as! [String: Any]
        #expect(json["source_rates"] as? [Int] == [8000] && json["bandwidth_hz"] as? Double == 4000)
        #expect(try DataFolder(url: scratch.file("d")).summary == summary)
    }

    @Test func mixedRatesWithoutARateAreAnErrorNamingTheFiles() throws {
        let scratch = ScratchFolder()
        let manifest = try corpus(scratch, rates: [16000, 8000, 16000])
        #expect(throws: RatePolicyError.mixedRates(manifest: manifest.url.path,
                                                   files: [8000: ["audio/r1-8000.wav"], 16000: ["audio/r0-16000.wav", "audio/r2-16000.wav"]])) {
            try Preprocessor.run(manifest: manifest, output: scratch.file("d"), options: PreprocessOptions(jobs: 1))
        }
        // Nothing was written: the rate is settled before any shard.
        #expect(!FileManager.default.fileExists(atPath: scratch.file("d/train").path))
        let message = "\(RatePolicyError.mixedRates(manifest: "m.jsonl", files: [8000: ["a.wav"], 16000: ["b.wav"]]))"
        #expect(message.contains("8000 Hz: a.wav") && message.contains("16000 Hz: b.wav") && message.contains("--sample-rate"))
    }

    @Test func upsamplingOnlyWhenAskedAndTheBandIsRecorded() throws {
        let scratch = ScratchFolder()
        let manifest = try corpus(scratch, rates: [16000, 8000])
        let summary = try Preprocessor.run(manifest: manifest, output: scratch.file("d"),
                                           options: PreprocessOptions(sampleRate: 16000, jobs: 1))
        #expect(summary.sampleRate == 16000)
        #expect(summary.sourceRates == [8000, 16000])
        #expect(summary.bandwidthHz == 4000, "half the lowest source rate, not half the folder's rate")
        #expect(summary.recordings.map(\.sourceRate) == [16000, 8000])
        // Downsampling narrows the band to the folder's Nyquist frequency.
        let down = try Preprocessor.run(manifest: manifest, output: scratch.file("e"), options: PreprocessOptions(sampleRate: 8000, jobs: 1))
        #expect(down.bandwidthHz == 4000 && down.sampleRate == 8000)
    }

    @Test func oldSummariesReadWithTheFullBand() throws {
        let json = #"{"sample_rate":16000,"frame":{"input":20,"target":10,"hop":10},"splits":{},"train_mean":0,"train_std":1}"#
        let summary = try JSONDecoder().decode(DataSummary.self, from: Data(json.utf8))
        #expect(summary.bandwidthHz == 8000 && summary.sourceRates.isEmpty)
    }

    @Test func preprocessCommandRefusesMixedRatesAndNotesUpsampling() throws {
        let scratch = ScratchFolder()
        let manifest = try corpus(scratch, rates: [8000, 16000])
        let binary = try #require(CommandLineTests.binary())
        let refused = try EvalProcess.run(binary.path, ["preprocess", manifest.url.path, "--output", scratch.file("d").path])
        #expect(refused.0 != 0)
        #expect(refused.2.contains("r0-8000.wav") && refused.2.contains("--sample-rate"), "\(refused.2)")
        let forced = try EvalProcess.run(binary.path, ["preprocess", manifest.url.path, "--output", scratch.file("d").path,
                                                       "--sample-rate", "16000"])
        #expect(forced.0 == 0, "\(forced.2)")
        #expect(forced.2.contains("upsampled") && forced.2.contains("4000 Hz"), "\(forced.2)")
    }

    /// Settling the rate opens no file the source policy forbids: a file outside the
    /// manifest's folder is refused by the policy (naming --allow-outside), not probed for
    /// its rate and reported as a rate mix.
    @Test func theRateProbeRespectsTheSourcePolicy() throws {
        let scratch = ScratchFolder()
        try FileManager.default.createDirectory(at: scratch.file("inside"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch.file("elsewhere"), withIntermediateDirectories: true)
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 8000, count: 8000), sampleRate: 8000, to: scratch.file("inside/a.wav"))
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: 16000), sampleRate: 16000, to: scratch.file("elsewhere/b.wav"))
        var entries = [ManifestEntry(audioFilepath: "a.wav", duration: 1, split: .train),
                       ManifestEntry(audioFilepath: "../elsewhere/b.wav", duration: 1, split: .train)]
        for i in entries.indices { entries[i].line = i + 1 }
        let manifest = Manifest(entries: entries, url: scratch.file("inside/m.jsonl"))
        let policy = SourcePolicy(manifest: manifest.url, allowOutside: false)
        #expect(RatePolicy.sourceRates(manifest, policy: policy) == [8000, nil])
        do {
            _ = try Preprocessor.run(manifest: manifest, output: scratch.file("d"), options: PreprocessOptions(jobs: 1))
            Issue.record("a file outside the manifest's folder was read")
        } catch {
            #expect(!(error is RatePolicyError) && "\(error)".contains("--allow-outside"), "\(error)")
        }
        // Allowed outside, the two rates are a mix.
        #expect(throws: RatePolicyError.self) {
            try Preprocessor.run(manifest: manifest, output: scratch.file("d"), options: PreprocessOptions(jobs: 1, allowOutside: true))
        }
    }
}

