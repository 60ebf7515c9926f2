// swift-tools-version:6.0
// rawspeech: recurrent predictors of raw speech (Chung et al. 2014), in Swift on
// libsndfile, libsoxr, FFTW, OpenBLAS and zlib. One library module for the pipeline
// (Sources/RawSpeech/{Audio,Corpus,Network,Training,Evaluation}), one command-line
// executable, one thin system-library target per C library, and CKernels (hand-written
// SIMD kernels with run-time CPU dispatch).
import PackageDescription

let package = Package(
    name: "rawspeech",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rawspeech", targets: ["rawspeech"]),
        .library(name: "RawSpeech", targets: ["RawSpeech"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        // zlib: deflate for the PNG spectrograms embedded in `rawspeech report`.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // Our own C: the few Float kernels that need AVX-512/AVX2 in one function while the
        // package builds for baseline x86-64 (chosen at run time from the CPU).
        .target(name: "CKernels"),
        .target(
            name: "RawSpeech",
            dependencies: ["CSndfile", "CSoxr", "CCrypto", "CFFTW", "COpenBLAS", "CZlib", "CKernels"]
        ),
        .executableTarget(
            name: "rawspeech",
            dependencies: [
                "RawSpeech",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RawSpeechTests",
            dependencies: ["RawSpeech"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
