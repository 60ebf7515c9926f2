// Records the source tree's git revision when the package is built, so that config.json
// says which code trained a model without rawspeech ever running git at run time (in a
// tree that may not be the one it was built from, with whatever `git` PATH finds). Runs
// `git describe --always --dirty` with --no-optional-locks (it never writes .git/index.lock)
// and rewrites the generated file only when the revision changed, so an unchanged tree
// rebuilds nothing. Without git or outside a checkout the revision is "unknown".
import Foundation
import PackagePlugin

@main
struct BuildRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let output = folder.appendingPathComponent("BuildRevision.swift")
        let script = """
            mkdir -p "$(dirname "$2")"
            rev=$(git --no-optional-locks -C "$1" describe --always --dirty --abbrev=12 2>/dev/null) || rev=unknown
            [ -n "$rev" ] || rev=unknown
            printf '// Generated at build time by Plugins/BuildRevision.\\npackage enum BuildRevision {\\n    /// `git describe --always --dirty` of the tree this binary was built from.\\n    package static let revision = "%s"\\n}\\n' "$rev" > "$2.new"
            if cmp -s "$2.new" "$2"; then rm -f "$2.new"; else mv "$2.new" "$2"; fi
            """
        return [.prebuildCommand(
            displayName: "Recording the git revision",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
            outputFilesDirectory: folder)]
    }
}
