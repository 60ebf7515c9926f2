// The report of `rawspeech report`: one self-contained HTML page (inline CSS and SVG, PNGs as
// data: URLs, nothing fetched) that a person reads without running anything, plus each
// figure as its own SVG file. It shows the runs, their learning curves (validation NLL
// against updates and against wall-clock seconds, one line per run: the paper's figures),
// their score tables and their spectrograms (music runs: NLL per time step, a piece-by-piece
// score table, no spectrograms; MusicReport.swift). Building the page is a pure function of
// RunRecords; `write` puts the files on disk atomically. It does not read run folders
// (RunFolder.swift) and prints nothing.
//
// A short inline script, run on load, sets data-images-decoded="decoded/total" and
// data-svg-paths on <body> after decoding every embedded PNG: the browser test reads them
// to know the figures really rendered, and a reader loses nothing if scripts are off.
import RawSpeechCore
import Foundation

/// Builds and writes the HTML report.
public enum Report {}

/// One figure of the report as a standalone SVG file.
public struct ReportFigure: Sendable {
    public var fileName: String
    public var svg: String
}

/// The report's files, before they are written.
public struct ReportDocument: Sendable {
    public var html: String
    public var figures: [ReportFigure]
}

extension Report {
    /// The two learning-curve figures: validation NLL against updates and against seconds,
    /// one solid line per run, training NLL dashed in the same colour.
    public static func learningCurves(_ runs: [RunRecord]) -> (updates: LinePlot, seconds: LinePlot) {
        func plot(title: String, xLabel: String, x: (MetricsLine) -> Double) -> LinePlot {
            var series: [LineSeries] = []
            for (i, run) in runs.enumerated() {
                let color = LinePlot.palette[i % LinePlot.palette.count]
                // Unmeasured figures are NaN: left out, so lines join the measured points.
                let valid = run.points.filter(\.validNLL.isFinite).map { (x: x($0), y: $0.validNLL) }
                let train = run.points.filter(\.trainNLL.isFinite).map { (x: x($0), y: $0.trainNLL) }
                series.append(LineSeries(name: run.label, color: color, points: valid))
                if !train.isEmpty {
                    series.append(LineSeries(name: run.label + " (training)", color: color, points: train,
                                             dashed: true, inLegend: false))
                }
            }
            let hasTrain = runs.contains { $0.points.contains { $0.trainNLL.isFinite } }
            return LinePlot(title: title, xLabel: xLabel, yLabel: nllUnit(runs), series: series,
                            legendNote: hasTrain ? "dashed: training NLL" : nil)
        }
        return (plot(title: "Validation NLL against updates", xLabel: "parameter updates") { Double($0.update) },
                plot(title: "Validation NLL against wall-clock time", xLabel: "seconds") { $0.seconds })
    }

    /// The score table of one run as an HTML table (the columns of `ScoreTable`).
    public static func scoreTableHTML(_ report: ScoreReport) -> String {
        var out = "<table class=\"scores\">\n"
        func section(_ title: String, _ files: [FileScore], _ total: Scores?) {
            out += "<tr><th class=\"name\">\(SVG.escape(title))</th>"
                + ScoreTable.headings.map { "<th>\(SVG.escape($0))</th>" }.joined() + "</tr>\n"
            for file in files {
                out += "<tr><td class=\"name\" title=\"\(SVG.escape(file.path))\">\(SVG.escape(ScoreTable.rowName(file.path, file.scores, width: 48)))</td>"
                switch file {
                case let .scored(_, s): out += ScoreTable.cells(s).map { "<td>\($0)</td>" }.joined()
                case let .failed(_, error):
                    out += "<td class=\"error\" colspan=\"\(ScoreTable.headings.count)\">error: \(SVG.escape(error))</td>"
                }
                out += "</tr>\n"
            }
            if let total {
                out += "<tr class=\"total\"><td class=\"name\">total</td>" + ScoreTable.cells(total).map { "<td>\($0)</td>" }.joined() + "</tr>\n"
            }
        }
        section("model: " + report.model, report.files, report.total)
        if let baseline = report.baseline { section("baseline: " + baseline.model, baseline.files, baseline.total) }
        // The terminal's notes (what the figures mean, near-silent files, the baseline).
        return out + "</table>\n" + ScoreTable.notes(report).map { "<p class=\"note\">\(SVG.escape($0))</p>\n" }.joined()
    }

    /// The whole report for `runs`. Never fails: a figure that cannot be drawn (a signal
    /// shorter than one STFT frame) becomes a message in its place.
    public static func document(runs: [RunRecord], title: String = "rawspeech report") -> ReportDocument {
        var figures: [ReportFigure] = []
        let curves = learningCurves(runs)
        let updatesSVG = curves.updates.svg(), secondsSVG = curves.seconds.svg()
        figures.append(ReportFigure(fileName: "valid-nll-vs-updates.svg", svg: updatesSVG))
        figures.append(ReportFigure(fileName: "valid-nll-vs-seconds.svg", svg: secondsSVG))

        var body = "<h1>\(SVG.escape(title))</h1>\n"
        body += "<h2>Runs</h2>\n" + runsTable(runs)
        body += "<h2>Learning curves</h2>\n<div class=\"figures\">\n\(updatesSVG)\(secondsSVG)</div>\n"
        body += "<p class=\"note\">\(curvesNote(runs))</p>\n"

        let scored = runs.filter { $0.score != nil }
        if !scored.isEmpty {
            body += "<h2>Scores</h2>\n<p class=\"note\">Likelihood in waveform units; LSD = log-spectral distance, SC = spectral convergence, of the block prediction (each frame's samples predicted together from the ones before) against the recording.</p>\n"
            for run in scored { body += "<h3>\(SVG.escape(run.label))</h3>\n" + scoreTableHTML(run.score!) }
        }
        body += musicScoresHTML(runs)
        body += generatedMusicHTML(runs, figures: &figures)

        let withSignals = runs.filter { !$0.spectrograms.isEmpty }
        if !withSignals.isEmpty {
            body += "<h2>Spectrograms</h2>\n"
            for run in withSignals {
                do {
                    let svg = try spectrogramFigure(run.spectrograms, title: "Spectrograms: \(run.label)")
                    figures.append(ReportFigure(fileName: "spectrograms-\(safeFileName(run.name)).svg", svg: svg))
                    body += "<div class=\"figures\">\n\(svg)</div>\n"
                } catch {
                    body += "<p class=\"error\">\(SVG.escape(run.label)): spectrograms not drawn: \(SVG.escape(String(describing: error)))</p>\n"
                }
            }
        }
        return ReportDocument(html: page(title: title, body: body), figures: figures)
    }

    /// Writes index.html and the figures' SVG files into `directory` (created if needed),
    /// each to a temporary name and renamed. Returns the files written.
    @discardableResult
    public static func write(_ document: ReportDocument, to directory: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written: [URL] = []
        for (name, text) in [("index.html", document.html)] + document.figures.map({ ($0.fileName, $0.svg) }) {
            let url = directory.appendingPathComponent(name)
            let content = name.hasSuffix(".svg") ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + text : text
            try AtomicFile.write(Data(content.utf8), to: url)
            written.append(url)
        }
        return written
    }

    package static func runsTable(_ runs: [RunRecord]) -> String {
        var out = "<table class=\"runs\">\n<tr><th class=\"name\">run</th><th>cell</th><th>units</th><th>updates</th><th>seconds</th><th>best valid NLL</th><th>last valid NLL</th></tr>\n"
        for run in runs {
            let valid = run.points.map(\.validNLL).filter(\.isFinite)
            let cells = [run.cell ?? "?", run.units.map(String.init) ?? "?",
                         run.points.last.map { String($0.update) } ?? "-",
                         run.points.last.map { ScoreTable.number($0.seconds, 0) } ?? "-",
                         valid.min().map { ScoreTable.number($0, 3) } ?? "-",
                         valid.last.map { ScoreTable.number($0, 3) } ?? "-"]
            out += "<tr><td class=\"name\" title=\"\(SVG.escape(run.path))\">\(SVG.escape(run.name))</td>"
                + cells.map { "<td>\(SVG.escape($0))</td>" }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    /// Letters, digits, '-', '_' and '.'; anything else becomes '_'.
    package static func safeFileName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }

    package static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(SVG.escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 24px 32px; color: #222; max-width: 1400px; }
        h1 { font-size: 24px; margin-bottom: 4px; }
        h2 { font-size: 19px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        h3 { font-size: 15px; margin: 16px 0 6px; }
        .figures { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
        .figures svg { max-width: 100%; height: auto; border: 1px solid #eee; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
        th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #eee; }
        th { background: #f5f5f5; font-weight: 600; }
        .name { text-align: left; }
        tr.total td { font-weight: 600; border-top: 1px solid #999; }
        td.error, p.error { color: #b00020; text-align: left; }
        p.note { color: #555; font-size: 13px; }
        </style>
        </head>
        <body>
        \(body)<script>
        // Test hook (see ReportPage.swift): decode every embedded image, then record the count.
        window.addEventListener("load", () => {
          const images = [...document.querySelectorAll("svg image")];
          Promise.all(images.map(el => {
            const img = new Image();
            img.src = el.getAttribute("href");
            return img.decode().then(() => img.naturalWidth > 0, () => false);
          })).then(ok => {
            document.body.dataset.imagesDecoded = ok.filter(Boolean).length + "/" + images.length;
            document.body.dataset.svgPaths = String(document.querySelectorAll("svg path").length);
          });
        });
        </script>
        </body>
        </html>

        """
    }
}
