// The report: PNG bytes zlib can read back, tick choice, run-folder reading (including a
// run still writing), the page's content, the `report` command end to end, and the page
// rendered in headless Chromium (when installed) with every figure drawn.
import CZlib
import Foundation
import Testing
@testable import RawSpeechEvaluation

extension EvaluationTests { @Suite struct ReportTests {
    /// Undoes what PNG.encodeRGB did: chunk walk, CRCs, inflate, Sub filter.
    @Test func pngDecodesBack() throws {
        let (width, height) = (5, 3)
        let pixels = (0 ..< width * height * 3).map { UInt8(($0 * 37) % 256) }
        let png = try PNG.encodeRGB(width: width, height: height, pixels: pixels)
        #expect(Array(png.prefix(8)) == PNG.signature)
        var offset = 8, chunks: [(String, [UInt8])] = []
        while offset < png.count {
            let length = png[offset ..< offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[offset + 4 ..< offset + 8], as: UTF8.self)
            let data = Array(png[offset + 8 ..< offset + 8 + length])
            let crc = png[offset + 8 + length ..< offset + 12 + length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let body = Array(png[offset + 4 ..< offset + 8 + length])
            #expect(crc == UInt32(body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }))
            chunks.append((type, data))
            offset += 12 + length
        }
        #expect(chunks.map(\.0) == ["IHDR", "IDAT", "IEND"])
        var raw = [UInt8](repeating: 0, count: height * (width * 3 + 1))
        var rawLength = uLongf(raw.count)
        let idat = chunks[1].1
        #expect(uncompress(&raw, &rawLength, idat, uLong(idat.count)) == Z_OK && Int(rawLength) == raw.count)
        var decoded: [UInt8] = []
        for y in 0 ..< height {
            let row = Array(raw[y * (width * 3 + 1) ..< (y + 1) * (width * 3 + 1)])
            #expect(row[0] == 1)
            var out = [UInt8](repeating: 0, count: width * 3)
            for i in 0 ..< width * 3 { out[i] = row[i + 1] &+ (i >= 3 ? out[i - 3] : 0) }
            decoded += out
        }
        #expect(decoded == pixels)
    }

    @Test func niceTicks() {
        #expect(SVG.ticks(0, 20_000) == [0, 5_000, 10_000, 15_000, 20_000])
        #expect(SVG.ticks(1.3, 8.7) == [2, 4, 6, 8])
        #expect(SVG.ticks(0, 0.3, target: 3) == [0, 0.1, 0.2, 0.3])
        #expect(SVG.niceRange(1.3, 8.7) == 0 ... 10)
        #expect(SVG.label(15_000, step: 5_000) == "15k")
        #expect(SVG.label(0.30000000000000004, step: 0.1) == "0.3")
        #expect(SVG.label(-0.0, step: 1) == "0")
    }

    @Test func spectrogramImageSize() throws {
        let image = try Report.spectrogramImage(samples: SyntheticRuns.speechLike(seconds: 1, sampleRate: 16_000, seed: 1),
                                                sampleRate: 16_000)
        #expect(image.width == (16_000 - 512) / 128 + 1 && image.height == 257)
        #expect(image.maxFrequency == 8_000 && image.dataURL.hasPrefix("data:image/png;base64,iVBORw0KGgo"))
        // Long signals are pooled to at most 1200 columns.
        let long = try Spectrogram(samples: [Float](repeating: 0.1, count: 16_000 * 20), sampleRate: 16_000)
        #expect(long.columns <= 1_200 && long.framesPerColumn == 3)
        #expect(throws: EvaluationError.self) { try Report.spectrogramImage(samples: [0, 1], sampleRate: 16_000) }
    }

    /// Huge finite samples overflow float power (dB clamped, drawn); NaN or infinite samples
    /// (a damaged .f32) are refused with a message in the page, never a trap.
    @Test func nonFiniteSpectrogramDataNeverTraps() throws {
        let speech = SyntheticRuns.speechLike(seconds: 0.5, sampleRate: 16_000, seed: 2)
        let huge = try Spectrogram(samples: speech.map { $0 * 1e30 }, sampleRate: 16_000)
        #expect(huge.decibels.allSatisfy(\.isFinite) && huge.maxDecibels <= Spectrogram.decibelCeiling)
        _ = try Report.spectrogramImage(samples: speech.map { $0 * 1e30 }, sampleRate: 16_000)
        #expect(Report.spectrogramRange(top: .infinity).upperBound.isFinite)
        #expect(Report.spectrogramRange(top: .nan).lowerBound.isFinite)
        #expect(Viridis.color(.nan) == Viridis.color(0) && Viridis.color(-3) == Viridis.color(0) && Viridis.color(7) == Viridis.color(1))

        for bad in [Float.nan, .infinity, -.infinity] {
            var samples = speech
            samples[100] = bad
            #expect(throws: EvaluationError.nonFinite(index: 100)) { try Spectrogram(samples: samples, sampleRate: 16_000) }
            let run = RunRecord(name: "bad", path: "/runs/bad", cell: "gru", units: 8, points: [],
                                spectrograms: [SpectrogramInput(title: "block prediction", samples: samples, sampleRate: 16_000),
                                               SpectrogramInput(title: "huge", samples: speech.map { $0 * 1e30 }, sampleRate: 16_000)])
            let html = Report.document(runs: [run]).html
            #expect(html.contains("spectrograms not drawn: sample 100 is NaN or infinite"), "\(bad)")
        }
    }

    @Test func readsRunFolders() throws {
        let urls = try SyntheticRuns.make()
        defer { try? FileManager.default.removeItem(at: urls[0].deletingLastPathComponent()) }
        let gru = try Report.loadRun(at: urls[1])
        #expect(gru.label == "gru-227 (GRU, 227 units)")
        #expect(gru.points.count == 81 && gru.points.filter(\.validNLL.isFinite).count == 21)
        #expect(gru.score?.files.count == 3)
        #expect(gru.spectrograms.map(\.title) == ["held-out recording", "block prediction (one frame ahead)", "generated sample"])
        #expect(gru.spectrograms[0].samples.count == 19_200 && gru.notes.isEmpty)

        // A trainer mid-write leaves a cut-off last line: skipped with a note.
        let metrics = urls[0].appendingPathComponent("metrics.jsonl")
        let handle = try FileHandle(forWritingTo: metrics)
        handle.seekToEndOfFile()
        handle.write(Data("{\"update\": 20250, \"seco".utf8))
        handle.closeFile()
        let tanh = try Report.loadRun(at: urls[0])
        #expect(tanh.points.count == 81 && tanh.notes.count == 1)
        // A bad line in the middle is an error that names the file and the line.
        try "{\"update\": 1, \"seconds\": 1}\nnot json\n{\"update\": 2, \"seconds\": 2}\n".write(to: metrics, atomically: true, encoding: .utf8)
        #expect { try Report.loadRun(at: urls[0]) } throws: { "\($0)".contains("metrics.jsonl: line 2") }
        #expect { try Report.loadRun(at: urls[0].deletingLastPathComponent()) } throws: { "\($0)".contains("not a run folder") }
    }

    /// A compare folder (plan.json, runs one level down) given to report is pointed at its own
    /// report and its runs, not only called "not a run folder".
    @Test func aCompareFolderIsPointedAtItsReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{}".utf8).write(to: folder.appendingPathComponent("plan.json"))
        #expect { try Report.loadRun(at: folder) } throws: { "\($0)".contains("a `rawspeech compare` folder, whose report is") }
    }

    @Test func pageContent() throws {
        let urls = try SyntheticRuns.make()
        defer { try? FileManager.default.removeItem(at: urls[0].deletingLastPathComponent()) }
        let runs = try urls.map { try Report.loadRun(at: $0) }
        let document = Report.document(runs: runs)
        #expect(document.figures.map(\.fileName) == ["valid-nll-vs-updates.svg", "valid-nll-vs-seconds.svg",
                                                     "spectrograms-gru-227.svg"])
        let html = document.html
        for run in runs { #expect(html.contains(run.label)) }
        #expect(html.components(separatedBy: "<image ").count - 1 == 3)
        #expect(html.contains("error: recording too short") && html.contains("baseline: linear"))
        // Self-contained: nothing is fetched (the only URLs are SVG's namespace name).
        #expect(!html.contains("src=\"") && !html.contains("href=\"http") && !html.contains("url(http"))
        // 3 valid + 3 training lines in each learning-curve figure.
        #expect(document.figures[0].svg.components(separatedBy: "<path ").count - 1 == 6)
    }

    /// The built `rawspeech report` end to end on synthetic runs (when the binary is built
    /// next to the tests, as `swift test` does).
    @Test func reportCommand() throws {
        let urls = try SyntheticRuns.make()
        let root = urls[0].deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: root) }
        let binary = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("rawspeech")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no rawspeech binary at \(binary.path)")
        let output = root.appendingPathComponent("report")
        let (status, stdout, stderr) = try EvalProcess.run(binary.path, ["report"] + urls.map(\.path) + ["--output", output.path])
        #expect(status == 0, "rawspeech report: \(stderr)")
        let written = stdout.split(separator: "\n").map { URL(fileURLWithPath: String($0)).lastPathComponent }
        #expect(written == ["index.html", "valid-nll-vs-updates.svg", "valid-nll-vs-seconds.svg", "spectrograms-gru-227.svg"])
        let svg = try String(contentsOf: output.appendingPathComponent("valid-nll-vs-seconds.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("<path "))
        // A folder that is not a run: the others are still reported, the exit code says so.
        let (failed, _, message) = try EvalProcess.run(binary.path, ["report", urls[0].path, root.path, "-o", output.path])
        #expect(failed == 1 && message.contains("not a run folder"))
    }

    /// The page in headless Chromium: every embedded PNG decodes and the SVG lines are in the
    /// rendered DOM. Set RAWSPEECH_REPORT_SCREENSHOT=/tmp/x.png to also get a screenshot to
    /// look at.
    @Test(.enabled(if: EvalProcess.which("chromium") != nil, "chromium is not installed (tools/setup installs it)"))
    func rendersInChromium() throws {
        let urls = try SyntheticRuns.make()
        let root = urls[0].deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: root) }
        let output = root.appendingPathComponent("report")
        try Report.write(Report.document(runs: urls.map { try Report.loadRun(at: $0) }), to: output)
        let page = output.appendingPathComponent("index.html")
        let chromium = try #require(EvalProcess.which("chromium"))
        // The virtual-time budget lets the load handler's image decoding finish before the dump.
        // On a loaded machine (the rest of the suite runs in parallel) Chromium sometimes
        // dumps before the load handler has run: the page then has no result attributes at
        // all, and another try is made. A page whose images fail to decode still fails.
        var (status, dom, stderr) = (Int32(0), "", "")
        for attempt in 1 ... 4 {
            (status, dom, stderr) = try EvalProcess.run(chromium, [
                "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=\(10_000 * attempt)",
                "--dump-dom", page.absoluteString])
            if dom.contains("data-images-decoded=") { break }
        }
        #expect(status == 0, "chromium: \(stderr.suffix(500))")
        #expect(dom.contains("data-images-decoded=\"3/3\""), "images not decoded: \(dom.prefix(300))")
        let paths = dom.firstMatch(of: /data-svg-paths="(\d+)"/).map { Int($0.1)! } ?? 0
        #expect(paths == 12)   // 2 figures x (3 validation + 3 training lines)
        if let screenshot = ProcessInfo.processInfo.environment["RAWSPEECH_REPORT_SCREENSHOT"] {
            _ = try EvalProcess.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                               "--screenshot=\(screenshot)", "--window-size=1280,2000", page.absoluteString])
        }
    }
}}

/// Runs a program and collects its output (tests only; the command-line tests use it too).
enum EvalProcess {
    static func run(_ path: String, _ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, stderr on another thread: a full pipe would block
        // the child forever.
        nonisolated(unsafe) var stderr = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static func which(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
