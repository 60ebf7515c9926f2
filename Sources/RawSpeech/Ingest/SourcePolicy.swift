// Which files a manifest may make `rawspeech preprocess` read: the threat model for a
// manifest that came from elsewhere (docs/RELIABILITY.md). A manifest names paths; with an
// `encoding` field any readable bytes decode as "audio", so a hostile manifest could turn
// /etc/passwd or a private key into a shard, byte for byte. Two rules stop that:
// - headerless reads only of files whose name, and whose real path after symbolic links,
//   ends in a headerless audio extension (.raw, .pcm, .sln, ...);
// - audio only under the manifest's folder or the current folder (lexically, after `..` is
//   resolved), unless the caller allows outside paths (`--allow-outside`).
// It does not sandbox libsndfile: a file with a real audio header is decoded wherever the
// rules allow it to be.
import RawSpeechAudio
import Foundation

/// Why a manifest entry's file is not read.
public enum SourcePolicyError: Error, Sendable, CustomStringConvertible {
    case outsideTrustedFolders(path: String, folders: [String])
    case notHeaderlessAudio(path: String, realPath: String)

    public var description: String {
        switch self {
        case .outsideTrustedFolders(let path, let folders):
            return "\(path): outside the manifest's folder and the current folder (\(folders.joined(separator: ", "))); "
                + "a manifest from elsewhere should not read other files: pass --allow-outside if you trust it"
        case .notHeaderlessAudio(let path, let real):
            return "\(path)\(real == path ? "" : " (really \(real))"): refusing to read as headerless audio: its name does not end in "
                + ManifestEntry.headerlessExtensions.sorted().map { "." + $0 }.joined(separator: " ")
        }
    }
}

public struct SourcePolicy: Sendable {
    /// Folders whose files may be read (standardized paths); nil: anywhere.
    public var trustedFolders: [String]?

    /// The manifest's folder and `currentFolder`, or anywhere if `allowOutside`.
    public init(manifest: URL, allowOutside: Bool, currentFolder: String = FileManager.default.currentDirectoryPath) {
        trustedFolders = allowOutside ? nil : [
            manifest.standardizedFileURL.deletingLastPathComponent().path,
            URL(fileURLWithPath: currentFolder, isDirectory: true).standardizedFileURL.path,
        ]
    }

    /// Throws if `entry`'s file (at `url`) may not be read.
    public func check(_ entry: ManifestEntry, at url: URL) throws {
        let path = url.standardizedFileURL.path
        if let trustedFolders {
            let inside = trustedFolders.contains { folder in
                path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
            }
            if !inside { throw SourcePolicyError.outsideTrustedFolders(path: path, folders: trustedFolders) }
        }
        if entry.raw != nil {
            let real = url.resolvingSymlinksInPath().path
            for name in [path, real] where !ManifestEntry.headerlessExtensions.contains((name as NSString).pathExtension.lowercased()) {
                throw SourcePolicyError.notHeaderlessAudio(path: path, realPath: real)
            }
        }
    }
}
