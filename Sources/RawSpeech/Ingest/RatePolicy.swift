// Which rate a data folder is made at, and what band its recordings really have. Without an
// explicit rate the corpus keeps its own: every recording must then share one rate, and a
// mix is an error naming the files of each rate. A rate is never raised silently: upsampling
// (8 kHz recordings into a 16 kHz folder) happens only when the caller asked for that rate,
// and the summary then records the narrower band the data actually has (`bandwidth_hz`),
// so a model trained on it does not "win" by predicting an empty band. It reads headers
// only; the samples are read by Preprocessor.
import RawSpeechAudio
import RawSpeechCorpus
import Foundation

public enum RatePolicyError: Error, Equatable, CustomStringConvertible {
    /// The recordings have several rates and no rate was chosen: files by rate.
    case mixedRates(manifest: String, files: [Int: [String]])

    public var description: String {
        switch self {
        case let .mixedRates(manifest, files):
            let listed = files.keys.sorted().map { rate -> String in
                let names = files[rate] ?? []
                let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
                return "\(rate) Hz: \(shown)"
            }.joined(separator: "; ")
            return "\(manifest): the recordings have different sample rates (\(listed)); "
                + "pass --sample-rate RATE to resample them all to one rate (a rate above a file's own "
                + "upsamples it: the band above half its rate stays empty)"
        }
    }
}

public enum RatePolicy {
    /// Each entry's own rate from its header (or the manifest's `sample_rate` for headerless
    /// files); nil when it cannot be opened or `policy` forbids reading it (processing then
    /// reports that file's error: no file is opened here that processing would refuse).
    public static func sourceRates(_ manifest: Manifest, policy: SourcePolicy) -> [Int?] {
        manifest.entries.map { entry in
            let url = manifest.audioURL(entry)
            guard (try? policy.check(entry, at: url)) != nil else { return nil }
            if let raw = entry.raw { return raw.sampleRate }
            return (try? AudioReader(url: url, blockFrames: 1))?.sourceSampleRate
        }
    }

    /// The folder's rate: `requested` when given, else the one rate all readable recordings
    /// share (the default rate when none is readable: processing then reports each file).
    public static func folderRate(requested: Int?, sourceRates: [Int?], manifest: Manifest) throws -> Int {
        if let requested { return requested }
        var files: [Int: [String]] = [:]
        for (entry, rate) in zip(manifest.entries, sourceRates) {
            if let rate { files[rate, default: []].append(entry.audioFilepath) }
        }
        if files.count > 1 { throw RatePolicyError.mixedRates(manifest: manifest.url.path, files: files) }
        return files.keys.first ?? PreprocessOptions.defaultSampleRate
    }

    /// Half the lowest source rate, and never above the folder's Nyquist frequency: the
    /// highest frequency every recording of the folder can contain.
    public static func bandwidth(sourceRates: [Int], folderRate: Int) -> Double {
        Double(min(sourceRates.min() ?? folderRate, folderRate)) / 2
    }
}
