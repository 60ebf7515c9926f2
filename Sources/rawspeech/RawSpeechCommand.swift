// The `rawspeech` command: one subcommand per pipeline stage. Subcommands live in their
// own files; this one only lists them.
import ArgumentParser

struct RawSpeechCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rawspeech",
        abstract: "Recurrent predictors of raw speech waveforms (tanh, GRU, LSTM with a mixture-density output).",
        discussion: """
        The pipeline: `manifest` lists recordings, `preprocess` turns them into sample \
        shards, `train` fits a predictor, `score` measures it on held-out audio, `generate` \
        lets it speak, `compare` runs the paper's experiment.
        """,
        version: RawSpeechVersion.string,
        subcommands: [
            ManifestCommand.self,
            PreprocessCommand.self,
            VerifyCommand.self,
            TrainCommand.self,
            ScoreCommand.self,
            GenerateCommand.self,
            CompareCommand.self,
            ReportCommand.self,
            ExportCommand.self,
            BenchCommand.self,
            BLASInfoCommand.self,
        ]
    )
}
