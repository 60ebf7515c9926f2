// The score JSON contract (field names, null for infinite SNR, errors per file),
// frame-weighted totals, and the terminal table.
import Foundation
import Testing
@testable import RawSpeechEvaluation

extension EvaluationTests { @Suite struct ScoreReportTests {
    static func scores(frames: Int, nll: Double, lsd: Double, snr: Double, normalized: Double? = 1.5) -> Scores {
        Scores(frames: frames, likelihood: Likelihood(nllPerFrame: nll, samplesPerFrame: 10),
               lsdDB: lsd, spectralConvergence: 0.25, snrDB: snr, segsnrDB: 5,
               normalized: normalized.map { Likelihood(nllPerFrame: $0, samplesPerFrame: 10) })
    }

    static let report = ScoreReport(
        model: "runs/gru-227",
        files: [.scored(path: "held/a.wav", scores(frames: 100, nll: -20, lsd: 4, snr: 10)),
                .scored(path: "held/b.flac", scores(frames: 300, nll: -24, lsd: 8, snr: 6)),
                .failed(path: "held/c.wav", error: "recording too short")],
        baseline: BaselineScores(model: "linear", files: [
            .scored(path: "held/a.wav", scores(frames: 100, nll: -10, lsd: 6, snr: 3, normalized: nil)),
            .scored(path: "held/b.flac", scores(frames: 300, nll: -14, lsd: 9, snr: 2, normalized: nil))]))

    @Test func frameWeightedTotal() throws {
        let total = try #require(Self.report.total)
        #expect(total.frames == 400)
        #expect(EvalCheck.close(total.likelihood.nllPerFrame, (-20 * 100 - 24 * 300) / 400.0))
        #expect(EvalCheck.close(total.likelihood.nllPerSample, -2.3))
        #expect(EvalCheck.close(total.likelihood.bitsPerSample, -2.3 / log(2)))
        #expect(EvalCheck.close(total.lsdDB, 7) && EvalCheck.close(total.snrDB, 7))
        #expect(total.normalized != nil)
        #expect(Self.report.baseline?.total?.normalized == nil)   // not every file has it
        #expect(Self.report.hasFailures)
    }

    @Test func likelihoodUnits() {
        let l = Likelihood(nllPerFrame: 6.931471805599453, samplesPerFrame: 10)
        #expect(EvalCheck.close(l.bitsPerSample, 1, relative: 1e-12))
        // std 0.1: every sample's density is 10x higher in waveform units, NLL 10 ln 10 lower.
        #expect(EvalCheck.close(Likelihood.waveformNLLPerFrame(normalized: 5, std: 0.1, samplesPerFrame: 10),
                                5 - 10 * log(10), relative: 1e-12))
    }

    /// The exact keys of issue 4, an error entry, and +∞ SNR as null (read back as +∞).
    @Test func jsonContract() throws {
        var report = Self.report
        report.files[0] = .scored(path: "held/a.wav", Self.scores(frames: 100, nll: -20, lsd: 0, snr: .infinity))
        report = ScoreReport(model: report.model, files: report.files, baseline: report.baseline)
        let data = try report.jsonData()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        // Issue 4's keys stay; issue 10 added some (listed exactly, so none goes unnoticed).
        #expect(Set(json.keys) == ["model", "files", "total", "baseline", "near_silent_below_dbfs"])
        let files = try #require(json["files"] as? [[String: Any]])
        let figureKeys: Set<String> = ["frames", "nll_per_frame", "nll_per_sample", "bits_per_sample",
                                       "lsd_db", "spectral_convergence", "snr_db", "segsnr_db", "bits_per_sample_16bit"]
        #expect(Set(files[0].keys) == figureKeys.union(["path", "normalized"]))
        #expect(files[0]["snr_db"] is NSNull)
        #expect(Set(files[2].keys) == ["path", "error"])
        #expect(files[2]["error"] as? String == "recording too short")
        let total = try #require(json["total"] as? [String: Any])
        #expect(Set(total.keys) == figureKeys.union(["normalized", "spectral_frames", "near_silent_files"]))
        #expect(EvalCheck.close(total["bits_per_sample_16bit"] as? Double ?? .nan, report.total!.likelihood.bitsPerSample + 15))
        #expect(total["snr_db"] is NSNull)   // a mean with +∞ in it
        let normalized = try #require(files[0]["normalized"] as? [String: Any])
        #expect(Set(normalized.keys) == ["nll_per_frame", "nll_per_sample", "bits_per_sample"])
        let baseline = try #require(json["baseline"] as? [String: Any])
        #expect(Set(baseline.keys) == ["model", "files", "total"])

        let decoded = try ScoreReport.decode(data)
        #expect(decoded == report)
        #expect(decoded.files[0].scores?.snrDB == .infinity)

        let empty = try ScoreReport(model: "m", files: []).jsonData()
        #expect(String(decoding: empty, as: UTF8.self).contains("\"total\" : null"))
        #expect(String(decoding: empty, as: UTF8.self).contains("\"baseline\" : null"))
    }

    /// Near-silent files: flagged in JSON, out of the spectral totals, and a total over no
    /// audible file has no spectral figures (null, read back as NaN, never +∞).
    @Test func nearSilentFilesInTotalsAndJSON() throws {
        var quiet = Self.scores(frames: 300, nll: -40, lsd: 30, snr: -34.6)
        quiet.levelDBFS = -72
        var loud = Self.scores(frames: 100, nll: -20, lsd: 4, snr: 10)
        loud.levelDBFS = -24
        let report = ScoreReport(model: "m", files: [.scored(path: "speech.wav", loud), .scored(path: "silent.wav", quiet)])
        let total = try #require(report.total)
        #expect(total.snrDB == 10 && total.lsdDB == 4 && total.spectralFrames == 100 && total.nearSilentFiles == 1)
        #expect(EvalCheck.close(total.likelihood.nllPerFrame, (-20 * 100 - 40 * 300) / 400.0))
        let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        let files = try #require(json["files"] as? [[String: Any]])
        #expect(files[1]["near_silent"] as? Bool == true && files[0]["near_silent"] as? Bool == false)
        #expect(files[1]["level_dbfs"] as? Double == -72)
        #expect(try ScoreReport.decode(report.jsonData()) == report)

        let allQuiet = ScoreReport(model: "m", files: [.scored(path: "silent.wav", quiet)])
        let decoded = try #require(try ScoreReport.decode(allQuiet.jsonData()).total)
        #expect(decoded.snrDB.isNaN && decoded.lsdDB.isNaN && decoded.spectralFrames == 0)
        #expect(decoded.likelihood.nllPerFrame == -40)
        #expect(ScoreTable.render(allQuiet).contains("every scored file is near-silent"))
    }

    /// Differences worded by their sign; negative bits and the block prediction explained
    /// beside the table, with bits per 16-bit sample in a column.
    @Test func notesSayWhatTheFiguresMean() {
        let worse = ScoreReport(
            model: "m", files: [.scored(path: "a.wav", Self.scores(frames: 100, nll: -20, lsd: 9, snr: -6.62))],
            baseline: BaselineScores(model: "linear", files: [.scored(path: "a.wav", Self.scores(frames: 100, nll: -25, lsd: 6, snr: 10))]),
            contextSamples: 20, predictedSamples: 10)
        let text = ScoreTable.render(worse)
        #expect(text.contains("model vs baseline: 0.7213 bits/sample more, LSD 3.00 dB higher, SNR 16.62 dB lower"), "\(text)")
        #expect(!text.contains("-16.62"))
        #expect(text.contains("16-bit bits = bits/sample + 15"))
        #expect(text.contains("of the 10-sample block prediction") && text.contains("from the 20 before"))
        #expect(text.contains("not of a one-sample-ahead predictor"))
        #expect(ScoreTable.cells(worse.total!)[4] == ScoreTable.number(-20 / 10 / log(2) + 15, 4))
        #expect(ScoreTable.signed(-0.5, 2, "up", "down") == "0.50 down" && ScoreTable.signed(0, 2, "up", "down") == "0.00 up")
    }

    @Test func terminalTable() {
        let text = ScoreTable.render(Self.report)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("model: runs/gru-227"))
        #expect(lines[0].hasSuffix("segSNR dB"))
        #expect(lines[1].hasPrefix("held/a.wav") && lines[1].contains("-20.000") && lines[1].contains("10.00"))
        #expect(lines[3] == "held/c.wav   error: recording too short" || lines[3].hasPrefix("held/c.wav") && lines[3].hasSuffix("error: recording too short"))
        #expect(lines[4].hasPrefix("total") && lines[4].contains("400"))
        #expect(text.contains("baseline: linear"))
        #expect(text.contains("model vs baseline: 1.4427 bits/sample fewer"))
        #expect(text.contains("1 of 3 files could not be scored"))
        // Figures line up: every row of the model's section has the same width.
        #expect(Set([lines[0], lines[1], lines[2], lines[4]].map(\.count)).count == 1)
        #expect(ScoreTable.number(.infinity, 2) == "inf" && ScoreTable.number(-0.0001, 2) == "0.00")
        #expect(ScoreTable.shortened("/very/long/path/to/recording.wav", to: 16) == "...recording.wav")
    }
}}
