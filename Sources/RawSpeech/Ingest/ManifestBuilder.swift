// The work behind `rawspeech manifest`: find every file libsndfile can open under a folder,
// measure it (duration, SHA-256), name its speaker (the parent folder, by default) and
// assign splits deterministically from a seed. Splitting by speaker keeps each speaker's
// files in one split, so valid/test measure generalization to unseen voices.
// Headerless files cannot be recognised by their bytes and are left out: list those by hand.
import RawSpeechCore
import RawSpeechCorpus
import CSndfile
import Foundation

public struct SplitOptions: Codable, Sendable {
    public enum Unit: String, Codable, CaseIterable, Sendable { case speaker, file }
    /// 10% each for valid and test: the usual held-out share for small corpora.
    public var valid = 0.1
    public var test = 0.1
    /// Speakers by default: held-out numbers then say something about new voices.
    public var by = Unit.speaker
    public var seed: UInt64 = 0

    public init(valid: Double = 0.1, test: Double = 0.1, by: Unit = .speaker, seed: UInt64 = 0) {
        self.valid = valid
        self.test = test
        self.by = by
        self.seed = seed
    }
}

public enum ManifestBuilder {
    /// Scans `directory` and returns a manifest to be written at `manifestURL` (paths are
    /// made relative to its folder). Files are listed in path order.
    public static func scan(directory: URL, manifestURL: URL, options: SplitOptions) throws -> Manifest {
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                              options: [.skipsHiddenFiles]) else {
            throw CorpusError.manifestUnreadable(path: directory.path, reason: "cannot list folder")
        }
        var files: [URL] = []
        for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            files.append(url.standardizedFileURL)
        }
        files.sort { $0.path < $1.path }
        let base = manifestURL.standardizedFileURL.deletingLastPathComponent().resolvingSymlinksInPath()
        var entries: [ManifestEntry] = []
        for file in files {
            guard let duration = soundDuration(file) else { continue } // not audio libsndfile knows
            let speaker = file.deletingLastPathComponent().lastPathComponent
            entries.append(ManifestEntry(audioFilepath: relativePath(from: base, to: file), duration: duration,
                                         split: .train, speaker: speaker,
                                         sha256: try SHA256.hexDigest(ofFile: file)))
        }
        if entries.isEmpty { throw CorpusError.noAudioFound(directory: directory.path) }
        assignSplits(&entries, options: options)
        for i in entries.indices { entries[i].line = i + 1 }
        return Manifest(entries: entries, url: manifestURL)
    }

    /// Duration in seconds if libsndfile opens the file and it has samples.
    package static func soundDuration(_ url: URL) -> Double? {
        var info = SF_INFO()
        guard let handle = sf_open(url.path, Int32(SFM_READ), &info) else { return nil }
        sf_close(handle)
        guard info.frames > 0, info.samplerate > 0 else { return nil }
        return (Double(info.frames) / Double(info.samplerate) * 1e6).rounded() / 1e6
    }

    /// Shuffles the units (speakers or files) with the seeded generator, then gives the
    /// first ones to test, the next to valid, the rest to train. Each held-out split gets at
    /// least one unit when its share is non-zero and there are three units or more.
    public static func assignSplits(_ entries: inout [ManifestEntry], options: SplitOptions) {
        let unitOf: (ManifestEntry) -> String = options.by == .speaker ? { $0.speaker ?? "" } : { $0.audioFilepath }
        var units = Array(Set(entries.map(unitOf))).sorted()
        var generator = SeededGenerator(seed: options.seed)
        for i in stride(from: units.count - 1, to: 0, by: -1) {
            units.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        func share(_ fraction: Double) -> Int {
            let n = Int((fraction * Double(units.count)).rounded())
            return fraction > 0 && units.count >= 3 ? max(1, n) : n
        }
        let testCount = min(share(options.test), max(0, units.count - 1))
        let validCount = min(share(options.valid), max(0, units.count - 1 - testCount))
        var splitOf: [String: Split] = [:]
        for (i, unit) in units.enumerated() {
            splitOf[unit] = i < testCount ? .test : i < testCount + validCount ? .valid : .train
        }
        for i in entries.indices { entries[i].split = splitOf[unitOf(entries[i])]! }
    }

    /// `to` as a path relative to the folder `from` ("../corpora/x/a.wav").
    package static func relativePath(from folder: URL, to file: URL) -> String {
        let a = folder.pathComponents, b = file.pathComponents
        let common = zip(a, b).prefix { $0 == $1 }.count
        if common <= 1 { return file.path } // only "/" shared: absolute is clearer
        return (Array(repeating: "..", count: a.count - common) + b[common...]).joined(separator: "/")
    }
}
