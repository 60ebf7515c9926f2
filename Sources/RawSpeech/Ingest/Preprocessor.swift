// The work behind `rawspeech preprocess`: every manifest entry is streamed through
// AudioReader (libsndfile blocks -> mono -> libsoxr) into its own piece (a shard under
// DATADIR/.pieces), files in parallel on `jobs` threads; then each split's pieces are
// concatenated into its SampleStore and removed (PreprocessStore.swift), and summary.json
// is written. Resumable after a kill at any moment: a piece that is complete,
// checksum-valid, at the right rate and format and made from the bytes the manifest names
// is kept, and a split whose store already holds exactly its recordings is kept whole.
// It reports progress through a callback and never prints; the CLI decides how to show it.
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
import Dispatch
import Foundation

public struct PreprocessOptions: Codable, Sendable {
    /// nil: the recordings' own rate, which they must all share (RatePolicy); a rate
    /// resamples every file to it, upsampling only because it was asked for.
    public var sampleRate: Int? = nil
    /// The folder's rate once `Preprocessor.run` has settled it (RatePolicy, before any file
    /// is read); only the run's own helpers read it.
    package var rate: Int {
        guard let sampleRate else { preconditionFailure("PreprocessOptions.rate read before RatePolicy settled it") }
        return sampleRate
    }
    /// The paper's rate, for a manifest none of whose files can be opened.
    public static let defaultSampleRate = 16_000
    /// The paper's framing (20 in, 10 out, hop 10); recorded in summary.json.
    public var frame = FrameSpec.paper
    /// One file per core keeps both cores busy; each file's work is sequential.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Off: a bad file stops the run; on: it is listed in summary.json and skipped.
    public var skipBad = false
    /// Off: audio only under the manifest's folder or the current folder (SourcePolicy),
    /// so a manifest from elsewhere cannot read other files; on: anywhere.
    public var allowOutside = false
    /// int16: half the disk and page cache of float32, and exact for 16-bit sources (most
    /// speech corpora); float32 for sources with more resolution or peaks past full scale.
    public var sampleFormat: SampleFormat = .int16
    /// Bytes per checksummed block of the stores (nil: SampleStoreWriter's 1 MiB; tests use small ones).
    package var blockBytes: Int?

    public init(sampleRate: Int? = nil, frame: FrameSpec = .paper, jobs: Int? = nil, skipBad: Bool = false,
                allowOutside: Bool = false, sampleFormat: SampleFormat = .int16) {
        self.sampleFormat = sampleFormat
        self.sampleRate = sampleRate
        self.frame = frame
        if let jobs { self.jobs = jobs }
        self.skipBad = skipBad
        self.allowOutside = allowOutside
    }
}

/// What happened to one manifest entry, as it happens.
public enum PreprocessEvent: Sendable {
    case started(files: Int, seconds: Double)
    /// `reused`: a valid shard from an earlier run was kept.
    case finished(name: String, line: Int, seconds: Double, reused: Bool)
    case skipped(SkippedFile)
    /// Temporary shards left by runs that died (kill -9, power loss), removed at the start.
    case removedStaleTemporaries([String])
}

/// Processes that preprocess one manifest into one (shared) data folder together, e.g. the
/// ranks of `mpirun -np N rawspeech preprocess` (RawSpeechDistributed). Member r takes the
/// entries r, r + count, ...; member 0 alone cleans the folder first and writes summary.json
/// from every member's results, in manifest order: the folder one process would write.
public protocol PreprocessGroup {
    var rank: Int { get }
    var count: Int { get }
    /// Waits until every member has called it.
    func barrier()
    /// Every member's `bytes`, in rank order, on member 0; nil on the others.
    func gather(_ bytes: Data) -> [Data]?
}

public enum Preprocessor {

    public static func run(manifest: Manifest, output: URL, options: PreprocessOptions,
                           progress: @escaping @Sendable (PreprocessEvent) -> Void = { _ in }) throws -> DataSummary {
        try run(manifest: manifest, output: output, options: options, group: nil, progress: progress)!
    }

    /// With `group`, this process's share of the entries; the summary on member 0, nil on the others.
    public static func run(manifest: Manifest, output: URL, options: PreprocessOptions, group: PreprocessGroup?,
                           progress: @escaping @Sendable (PreprocessEvent) -> Void = { _ in }) throws -> DataSummary? {
        if manifest.entries.isEmpty {
            // An empty data folder would only fail later, in training, far from the cause.
            throw CorpusError.manifestUnreadable(path: manifest.url.path, reason: manifest.rejected.isEmpty
                ? "no recordings" : "no recordings (all \(manifest.rejected.count) lines were rejected: \(manifest.rejected[0].error))")
        }
        let names = try recordingNames(manifest)
        // The folder's rate before any work: a corpus of mixed rates fails here, naming its files.
        let policy = SourcePolicy(manifest: manifest.url, allowOutside: options.allowOutside)
        let sourceRates = RatePolicy.sourceRates(manifest, policy: policy)
        let rate = try RatePolicy.folderRate(requested: options.sampleRate, sourceRates: sourceRates, manifest: manifest)
        let options = { var settled = options; settled.sampleRate = rate; return settled }()
        let fileManager = FileManager.default
        // One member cleans, before anyone writes (another machine's live temporaries look stale here).
        if (group?.rank ?? 0) == 0 {
            try fileManager.createDirectory(at: output, withIntermediateDirectories: true)
            let stale = removeStaleTemporaries(in: output)
            if !stale.isEmpty { progress(.removedStaleTemporaries(stale)) }
            // A summary describes one complete run: drop the old one before touching pieces.
            try? fileManager.removeItem(at: output.appendingPathComponent(DataFolder.summaryFile))
        }
        group?.barrier()
        let previous = previousStores(in: output, options: options)
        let kept = keptSplits(previous, manifest: manifest, names: names)
        // This process's entries: all, or every count-th from its rank.
        let mine = group.map { g in Array(stride(from: g.rank, to: manifest.entries.count, by: g.count)) }
            ?? Array(manifest.entries.indices)
        progress(.started(files: mine.count, seconds: mine.reduce(0) { $0 + manifest.entries[$1].duration }))

        let entries = manifest.entries
        let results = ConcurrentResults<Result<FileResult, Error>>(count: entries.count)
        let queue = ConcurrentResults<Void>(count: mine.count)  // hands out positions in `mine`
        let jobs = max(1, min(options.jobs, mine.count))
        // Workers pull the next entry from a shared counter, so long files do not hold up a
        // fixed partition; the first hard error stops everyone at their next file.
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            while let position = queue.next() {
                let index = mine[position]
                let entry = entries[index]
                do {
                    try policy.check(entry, at: manifest.audioURL(entry))
                    if kept.contains(entry.split), let stored = previous[entry.split]?.recording(named: names[index]) {
                        results.set(index, .success(FileResult(stored)))
                        progress(.finished(name: names[index], line: entry.line,
                                           seconds: Double(stored.count) / Double(rate), reused: true))
                        continue
                    }
                    let result = try process(entry, name: names[index], manifest: manifest, output: output, options: options,
                                             previous: previous[entry.split])
                    results.set(index, .success(result))
                    progress(.finished(name: names[index], line: entry.line,
                                       seconds: Double(result.samples) / Double(rate), reused: result.reused))
                } catch {
                    let wrapped = CorpusError.entry(manifest: manifest.url.path, line: entry.line, error: error)
                    results.set(index, .failure(wrapped))
                    if options.skipBad {
                        progress(.skipped(SkippedFile(path: entry.audioFilepath, line: entry.line, error: "\(error)")))
                    } else {
                        queue.stop()
                    }
                }
            }
        }

        var skipped = manifest.rejected
        var outcomes = results.values
        if let group {
            // Member 0 gathers every member's outcomes and alone writes the stores and summary.
            for index in mine { if case .failure(let error)? = outcomes[index], !options.skipBad { throw error } }
            guard let parts = group.gather(try RemoteOutcome.encode(mine.map { ($0, outcomes[$0]) })) else { return nil }
            for part in parts { for (index, outcome) in try RemoteOutcome.decode(part) { outcomes[index] = outcome } }
        }
        var done: [Int] = []
        for (index, entry) in entries.enumerated() {
            switch outcomes[index] {
            case .success:
                done.append(index)
            case .failure(let error):
                if !options.skipBad { throw error }
                skipped.append(SkippedFile(path: entry.audioFilepath, line: entry.line,
                                           error: "\((error as? CorpusError).map(\.innerDescription) ?? "\(error)")"))
            case nil:
                break // not processed: another file failed and stopped the run (thrown above)
            }
        }

        let stores = try writeStores(done: done, kept: kept, previous: previous, manifest: manifest, names: names,
                                     output: output, options: options)
        var splits = Dictionary(uniqueKeysWithValues: Split.allCases.map { ($0.rawValue, SplitSummary()) })
        var recordings: [ShardEntry] = []
        var train = ShardStatistics()
        var keptSourceRates: Set<Int> = []
        // The source rate of each manifest line (RatePolicy read them before any work).
        let sourceRateOfLine = Dictionary(entries.indices.compactMap { index in
            sourceRates[index].map { (entries[index].line, $0) } }, uniquingKeysWith: { first, _ in first })
        for split in Split.allCases {
            guard let index = stores[split] else { continue }
            for r in index.recordings {
                var entry = ShardEntry(name: r.name, split: split, shard: SampleStore.samplesName(split), samples: r.count,
                                       sha256: hexString(r.sha256), line: r.line, offset: r.offset)
                entry.sourceRate = sourceRateOfLine[r.line]
                if let source = entry.sourceRate { keptSourceRates.insert(source) }
                recordings.append(entry)
                splits[split.rawValue, default: SplitSummary()].add(samples: r.count, rate: rate, frame: options.frame)
                if split == .train { train.merge(r.statistics) }
            }
        }
        // Manifest order across splits, as before stores (summary.json's `recordings`).
        recordings.sort { $0.line < $1.line }
        if recordings.isEmpty {
            // Every file was skipped: a data folder with no recordings would only fail in training.
            throw CorpusError.manifestUnreadable(path: manifest.url.path,
                reason: "no recordings could be read (all \(skipped.count) skipped; the first: line \(skipped[0].line ?? 0): \(skipped[0].error))")
        }
        // Population statistics of every training sample (Double accumulators).
        let mean = train.count > 0 ? train.sum / Double(train.count) : 0
        let variance = train.count > 0 ? max(0, train.sumOfSquares / Double(train.count) - mean * mean) : 1
        var summary = DataSummary(sampleRate: rate, frame: options.frame, splits: splits,
                                  trainMean: mean, trainStd: variance.squareRoot(), skipped: skipped,
                                  recordings: recordings, sampleFormat: options.sampleFormat)
        summary.sourceRates = keptSourceRates.sorted()
        summary.bandwidthHz = RatePolicy.bandwidth(sourceRates: summary.sourceRates, folderRate: rate)
        try DataFolder.writeSummary(summary, to: output)
        return summary
    }

    /// Removes temporary shards (`ShardWriter.temporaryName`) under `folder` whose writing
    /// process no longer exists; a live writer's (another run on the same folder) are kept.
    /// Symbolic links are not followed. Returns the paths removed.
    package static func removeStaleTemporaries(in folder: URL) -> [String] {
        var removed: [String] = []
        func walk(_ path: String, depth: Int) {
            guard depth < 64, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
            for name in names.sorted() {
                let child = path + "/" + name
                var info = stat()
                guard lstat(child, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: walk(child, depth: depth + 1)
                case S_IFREG:
                    guard let pid = ShardWriter.temporaryOwner(name), pid > 0 else { continue }
                    // kill(pid, 0) fails with ESRCH only if no such process exists.
                    if kill(pid, 0) != 0, errno == ESRCH, unlink(child) == 0 { removed.append(child) }
                default: continue
                }
            }
        }
        walk(folder.path, depth: 0)
        return removed
    }

    /// One entry's outcome on the way to member 0: exact bits of the statistics, the error as text.
    package struct RemoteOutcome: Codable {
        var index: Int
        var shard = "", sha256 = "", samples = 0, reused = false
        var count = 0, sum: UInt64 = 0, sumOfSquares: UInt64 = 0
        var error: String?

        struct Failure: Error, CustomStringConvertible { var description: String }

        static func encode(_ outcomes: [(Int, Result<FileResult, Error>?)]) throws -> Data {
            try JSONEncoder().encode(outcomes.compactMap { index, outcome -> RemoteOutcome? in
                switch outcome {
                case .success(let r)?:
                    RemoteOutcome(index: index, shard: r.shard, sha256: r.sha256, samples: r.samples, reused: r.reused,
                                  count: r.statistics.count, sum: r.statistics.sum.bitPattern,
                                  sumOfSquares: r.statistics.sumOfSquares.bitPattern)
                case .failure(let error)?:
                    RemoteOutcome(index: index, error: (error as? CorpusError).map(\.innerDescription) ?? "\(error)")
                case nil: nil
                }
            })
        }

        static func decode(_ data: Data) throws -> [(Int, Result<FileResult, Error>)] {
            try JSONDecoder().decode([RemoteOutcome].self, from: data).map { o in
                if let error = o.error { return (o.index, .failure(Failure(description: error))) }
                var statistics = ShardStatistics()
                statistics.count = o.count
                statistics.sum = Double(bitPattern: o.sum)
                statistics.sumOfSquares = Double(bitPattern: o.sumOfSquares)
                return (o.index, .success(FileResult(shard: o.shard, samples: o.samples, sha256: o.sha256,
                                                     statistics: statistics, reused: o.reused)))
            }
        }
    }

    package struct FileResult: Sendable {
        package var shard: String
        package var samples: Int
        package var sha256: String
        package var statistics: ShardStatistics
        package var reused: Bool
    }

    /// One entry: reuse its piece if valid, or copy it from the split's previous store if
    /// that holds it from the same source bytes, else check the source and stream it into a
    /// new piece.
    package static func process(_ entry: ManifestEntry, name: String, manifest: Manifest, output: URL,
                                options: PreprocessOptions, previous: SampleStore? = nil) throws -> FileResult {
        let relative = pieceName(split: entry.split, name: name)
        let shardURL = output.appendingPathComponent(relative)
        let source = manifest.audioURL(entry)
        let sourceDigest = entry.sha256.map(hexBytes) ?? [UInt8](repeating: 0, count: 32)
        if let kept = try? Shard.read(shardURL, keepSamples: false), let statistics = kept.header.statistics,
           kept.header.sampleRate == options.rate, kept.header.format == options.sampleFormat,
           kept.header.sourceSHA256 == sourceDigest {
            return FileResult(shard: relative, samples: kept.header.sampleCount,
                              sha256: SHA256.hex(kept.header.payloadSHA256), statistics: statistics, reused: true)
        }
        try? FileManager.default.removeItem(at: shardURL)
        try FileManager.default.createDirectory(at: shardURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let previous, let stored = previous.recording(named: name), stored.sourceSHA256 == sourceDigest,
           let copied = try? copy(stored, from: previous, to: shardURL, relative: relative, options: options) {
            return copied  // (a damaged block of the old store: decode the source again instead)
        }
        let reader = try CheckedAudio.open(source, raw: entry.raw, sha256: entry.sha256, sampleRate: options.rate)
        let writer = try ShardWriter(url: shardURL, sampleRate: options.rate, sourceSHA256: sourceDigest,
                                     format: options.sampleFormat)
        try reader.forEachBlock { try writer.append($0) }
        let statistics = writer.statistics
        let header = try writer.finish()
        return FileResult(shard: relative, samples: header.sampleCount, sha256: SHA256.hex(header.payloadSHA256),
                          statistics: statistics, reused: false)
    }

    /// Recording names: each path relative to the folder all the manifest's files share,
    /// without its extension ("cards/001"); unique, or the manifest is ambiguous.
    public static func recordingNames(_ manifest: Manifest) throws -> [String] {
        let folders = manifest.entries.map { manifest.audioURL($0).deletingLastPathComponent().pathComponents }
        var common = folders.first ?? []
        for folder in folders.dropFirst() {
            common = Array(zip(common, folder).prefix { $0 == $1 }.map(\.0))
        }
        var seen: Set<String> = []
        return try manifest.entries.map { entry in
            let parts = manifest.audioURL(entry).deletingPathExtension().pathComponents.dropFirst(common.count)
            let name = parts.joined(separator: "/")
            guard seen.insert(name).inserted else {
                throw CorpusError.duplicateName(manifest: manifest.url.path, line: entry.line, name: name)
            }
            return name
        }
    }

    package static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index ..< next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}

extension SplitSummary {
    package mutating func add(samples: Int, rate: Int, frame: FrameSpec) {
        files += 1
        self.samples += samples
        seconds += Double(samples) / Double(rate)
        frames += frame.frameCount(samples: samples)
    }
}

extension CorpusError {
    /// The message without the manifest prefix (summary.json lists the line separately).
    package var innerDescription: String {
        if case .entry(_, _, let error) = self { return "\(error)" }
        return description
    }
}
