// swift-tools-version:6.0
// libFuzzer harnesses for rawspeech's readers of untrusted input: manifests, audio files
// (through libsndfile and the resampler), shards, checkpoint/model record files, and the
// JSON of summary.json, config.json and metrics.jsonl, piano-roll JSON and rolls files. A separate package, so the
// sanitizer flags (`-sanitize=fuzzer,address`, passed by tools/fuzz) never touch the
// normal build. One binary; RAWSPEECH_FUZZ_TARGET picks the harness.
import PackageDescription

let package = Package(
    name: "rawspeech-fuzz",
    dependencies: [.package(name: "rawspeech", path: "../..")],
    targets: [
        .executableTarget(
            name: "RawSpeechFuzz",
            dependencies: [.product(name: "RawSpeech", package: "rawspeech")]
        ),
    ]
)
