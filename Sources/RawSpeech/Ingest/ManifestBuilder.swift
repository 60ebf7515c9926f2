// The work behind `rawspeech manifest`: find every file libsndfile can open under a folder
// (following symbolic links, each real folder once), measure it through the Audio stage
// (duration, SHA-256), name its speaker and assign splits deterministically from a seed.
// Splitting by speaker keeps each speaker's files in one split, so valid/test measure
// generalization to unseen voices. The speaker is the folder that holds the file, or with
// `speakerLevel` N the N-th folder below the scanned one (1 for LibriSpeech's
// SPEAKER/CHAPTER/utt.flac). Headerless files cannot be recognised by their bytes and are
// left out: list those by hand. It never opens audio with libsndfile itself: AudioFile.probe does.
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
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

/// Why a folder could not be turned into a manifest.
public enum ManifestBuildError: Error, Sendable, CustomStringConvertible {
    /// `speakerLevel` asks for a folder the file is not under.
    case shallowFile(path: String, speakerLevel: Int)

    public var description: String {
        switch self {
        case .shallowFile(let path, let level):
            return "\(path): --speaker-level \(level) names the speaker by the folder \(level) level\(level == 1 ? "" : "s") "
                + "below the scanned one, and this file is not that deep (lower the level, or move the file)"
        }
    }
}

public enum ManifestBuilder {
    /// Scans `directory` and returns a manifest to be written at `manifestURL` (paths are
    /// made relative to its folder). Files are listed in path order. `speakerLevel` nil:
    /// each file's speaker is the folder that holds it; N >= 1: the N-th folder below
    /// `directory`. Files libsndfile recognises but rawspeech would refuse (implausible
    /// rate, truncated, no samples) are left out and listed in the manifest's `rejected`.
    public static func scan(directory: URL, manifestURL: URL, options: SplitOptions,
                            speakerLevel: Int? = nil) throws -> Manifest {
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CorpusError.manifestUnreadable(path: directory.path, reason: "not a folder")
        }
        let files = try listFiles(under: root)
        let base = manifestURL.standardizedFileURL.deletingLastPathComponent().resolvingSymlinksInPath()
        var entries: [ManifestEntry] = []
        var rejected: [SkippedFile] = []
        for (file, folders) in files {
            if ManifestEntry.headerlessExtensions.contains(file.pathExtension.lowercased()) {
                // Its manifest line would need "encoding", which only a person can give.
                if (try? AudioFile.probe(file)) != nil {
                    rejected.append(SkippedFile(path: file.path, line: nil, error: "\(file.path): named as headerless audio "
                        + "(.\(file.pathExtension)) but has a header: rename it, or list it by hand with \"encoding\""))
                }
                continue
            }
            let probe: AudioProbe
            do {
                guard let found = try AudioFile.probe(file) else { continue } // not audio libsndfile knows
                probe = found
            } catch {
                rejected.append(SkippedFile(path: file.path, line: nil, error: "\(error)"))
                continue
            }
            let speaker: String
            if let speakerLevel {
                guard folders.count >= speakerLevel else {
                    throw ManifestBuildError.shallowFile(path: file.path, speakerLevel: speakerLevel)
                }
                speaker = folders[speakerLevel - 1]
            } else {
                speaker = folders.last ?? root.lastPathComponent
            }
            let duration = (probe.seconds * 1e6).rounded() / 1e6
            entries.append(ManifestEntry(audioFilepath: relativePath(from: base, to: file), duration: duration,
                                         split: .train, speaker: speaker,
                                         sha256: try SHA256.hexDigest(ofFile: file)))
        }
        if entries.isEmpty { throw CorpusError.noAudioFound(directory: directory.path) }
        assignSplits(&entries, options: options)
        for i in entries.indices { entries[i].line = i + 1 }
        return Manifest(entries: entries, url: manifestURL, rejected: rejected)
    }

    /// Every regular file under `root` (hidden names skipped), in path order, with the
    /// folders between `root` and it. Symbolic links are followed, to files and to folders;
    /// a folder whose real path was already entered is not entered again (a link loop, or two
    /// links to one folder), and a file whose real path was already listed is not listed again.
    package static func listFiles(under root: URL) throws -> [(url: URL, folders: [String])] {
        var files: [(url: URL, folders: [String])] = []
        var enteredFolders: Set<String> = [realPath(root.path)]
        var listedFiles: Set<String> = []
        func walk(_ folder: URL, _ folders: [String]) throws {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
                throw CorpusError.manifestUnreadable(path: folder.path, reason: "cannot list folder: \((error as NSError).localizedDescription)")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let url = folder.appendingPathComponent(name)
                var info = stat()
                guard stat(url.path, &info) == 0 else { continue } // a dangling link
                let real = realPath(url.path)
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    if enteredFolders.insert(real).inserted { try walk(url, folders + [name]) }
                case S_IFREG:
                    if listedFiles.insert(real).inserted { files.append((url, folders)) }
                default:
                    continue // devices, sockets, FIFOs: never audio, and a FIFO would block
                }
            }
        }
        try walk(root, [])
        return files
    }

    /// The path with every symbolic link resolved (the path itself if that fails).
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A manifest whose lines may lack `split` (or `speaker`), with splits assigned as a
    /// scan would assign them, to be written at `manifestURL`: every line gets a new split
    /// from `options`, a line without `speaker` gets the name of the folder holding its
    /// file, and relative paths are rewritten to stay right from the new manifest's folder.
    public static func resplit(_ manifest: Manifest, writingTo manifestURL: URL, options: SplitOptions) -> Manifest {
        let base = manifestURL.standardizedFileURL.deletingLastPathComponent().resolvingSymlinksInPath()
        let oldBase = manifest.url.standardizedFileURL.deletingLastPathComponent().resolvingSymlinksInPath()
        var entries = manifest.entries
        for i in entries.indices {
            let file = manifest.audioURL(entries[i])
            if entries[i].speaker == nil { entries[i].speaker = file.deletingLastPathComponent().lastPathComponent }
            if !entries[i].audioFilepath.hasPrefix("/") {
                let resolved = oldBase.appendingPathComponent(entries[i].audioFilepath).standardizedFileURL
                entries[i].audioFilepath = relativePath(from: base, to: resolved)
            }
        }
        assignSplits(&entries, options: options)
        for i in entries.indices { entries[i].line = i + 1 }
        return Manifest(entries: entries, url: manifestURL, rejected: manifest.rejected)
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
