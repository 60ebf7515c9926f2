// swift-tools-version:6.0
// rawspeech: recurrent predictors of raw speech (Chung et al. 2014), in Swift on
// libsndfile, libsoxr, FFTW, OpenBLAS and zlib.
//
// One Swift target per stage of the pipeline, so that the compiler keeps the arrows that
// docs/ARCHITECTURE.md draws (tools/check-architecture holds this file to that table):
//
//   Core <- Audio <- Ingest            Core <- Corpus <- Ingest
//   Core <- Network <- Training <- Evaluation <- Experiment <- rawspeech (the CLI)
//
// Each C library is linked only by the stage that uses it: Network and Training never see
// FFTW or libsndfile. The CLI parses, calls and prints.
import PackageDescription

/// A stage of the pipeline: `RawSpeechX` in `Sources/RawSpeech/X`.
func stage(_ name: String, _ dependencies: [Target.Dependency],
           plugins: [Target.PluginUsage] = []) -> Target {
    .target(name: "RawSpeech\(name)", dependencies: dependencies, path: "Sources/RawSpeech/\(name)",
            plugins: plugins)
}

let package = Package(
    name: "rawspeech",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rawspeech", targets: ["rawspeech"]),
        .library(name: "RawSpeech", targets: [
            "RawSpeechCore", "RawSpeechAudio", "RawSpeechCorpus", "RawSpeechIngest",
            "RawSpeechNetwork", "RawSpeechTraining", "RawSpeechEvaluation", "RawSpeechExperiment",
            "RawSpeechExport", "RawSpeechDistributed",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // ONNX export: the generated message types (tools/generate-onnx-swift) need its runtime.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr",
                       providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // zlib: deflate for the PNG spectrograms embedded in `rawspeech report`, inflate for
        // gzip-compressed manifests.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // Open MPI (Debian openmpi-bin), loaded with dlopen only when mpirun or srun started
        // the process: the dozen MPI calls rawspeech makes as plain C functions.
        .target(name: "CMPI"),
        // Our own C: the few Float kernels that need AVX-512/AVX2 in one function while the
        // package builds for baseline x86-64 (chosen at run time from the CPU).
        .target(name: "CKernels"),

        // Frame spec, normalization, seeded generator, checksums, atomic files, run-folder files.
        // (and the git revision the binary was built from, recorded by the BuildRevision plugin).
        stage("Core", ["CCrypto"], plugins: ["BuildRevision"]),
        .plugin(name: "BuildRevision", capability: .buildTool()),
        // Reading, resampling and writing audio.
        stage("Audio", ["RawSpeechCore", "CSndfile", "CSoxr"]),
        // Data folders: shards, summary.json, splits (reading them needs no audio library).
        stage("Corpus", ["RawSpeechCore"]),
        // Manifests and preprocessing: audio files in, data folders out (zlib: .jsonl.gz manifests).
        stage("Ingest", ["RawSpeechCore", "RawSpeechAudio", "RawSpeechCorpus", "CZlib"]),
        // Cells, the mixture-density head, the linear predictor: arrays in, arrays out.
        stage("Network", ["RawSpeechCore", "COpenBLAS", "CKernels"]),
        // BPTT, RMSProp, checkpoints, run folders.
        stage("Training", ["RawSpeechCore", "RawSpeechCorpus", "RawSpeechNetwork"]),
        // Scores, spectra, generation, the HTML report.
        stage("Evaluation", ["RawSpeechCore", "RawSpeechAudio", "RawSpeechCorpus", "RawSpeechIngest",
                             "RawSpeechNetwork", "RawSpeechTraining", "CFFTW", "CZlib"]),
        // Trained models as ONNX graphs (the message types generated once from onnx.proto).
        stage("Export", ["RawSpeechCore", "RawSpeechNetwork",
                         .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Past one machine: Open MPI ranks as Training's ReplicaGroup, dealing and gathering.
        stage("Distributed", ["RawSpeechCore", "RawSpeechTraining", "CMPI"]),
        // The paper's comparison: plan, measurements, results table.
        stage("Experiment", ["RawSpeechCore", "RawSpeechCorpus", "RawSpeechNetwork",
                             "RawSpeechTraining", "RawSpeechEvaluation"]),
        .executableTarget(
            name: "rawspeech",
            dependencies: [
                "RawSpeechCore", "RawSpeechAudio", "RawSpeechCorpus", "RawSpeechIngest",
                "RawSpeechNetwork", "RawSpeechTraining", "RawSpeechEvaluation", "RawSpeechExperiment",
                "RawSpeechExport", "RawSpeechDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RawSpeechTests",
            dependencies: [
                "RawSpeechCore", "RawSpeechAudio", "RawSpeechCorpus", "RawSpeechIngest",
                "RawSpeechNetwork", "RawSpeechTraining", "RawSpeechEvaluation", "RawSpeechExperiment",
                "RawSpeechExport", "RawSpeechDistributed", "CKernels", "CZlib",
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)
