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
        lets it speak, `compare` runs the paper's experiment. Music (the paper's other \
        task): `preprocess` also reads a piano-roll JSON (JSB Chorales) into a music folder, on \
        which the same commands train, score, compare and report; `generate` then writes MIDI, \
        and `midi` writes a real piece of the set.
        """,
        version: RawSpeechVersion.string,
        subcommands: [
            ManifestCommand.self,
            PreprocessCommand.self,
            VerifyCommand.self,
            TrainCommand.self,
            ScoreCommand.self,
            GenerateCommand.self,
            MIDICommand.self,
            CompareCommand.self,
            ReportCommand.self,
            ExportCommand.self,
            BenchCommand.self,
            BLASInfoCommand.self,
        ]
    )
}
