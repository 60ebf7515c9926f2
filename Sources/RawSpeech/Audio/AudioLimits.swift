// The bounds a file's header (or a manifest's description of a headerless file) must keep
// before rawspeech believes it. libsndfile reports what a header says, and a damaged or
// hostile header says anything: a rate of 1 Hz (resampling then turns 32 KB into a 512 MB
// shard), 2^31 channels, or a frame count of INT64_MAX (an OGG whose last page is cut).
// These limits turn such files into errors naming them, never into traps or huge outputs.

/// What rawspeech accepts from a header before it allocates or converts anything.
public enum AudioLimits {
    /// 1 kHz (below any telephone codec) to 768 kHz (the highest rate converters offer).
    public static let sampleRates = 1_000 ... 768_000
    /// libsndfile's own limit (SF_MAX_CHANNELS).
    public static let channels = 1 ... 1_024
    /// Output samples per source sample resampling may make: 8 kHz to 384 kHz is 48x;
    /// more is a wrong rate, not a recording.
    public static let maxResamplingGrowth = 64
    /// A frame count above this is not believed: 2^40 frames is 16 days at 768 kHz.
    public static let maxFrames = 1 << 40
    /// Nor is one above this many frames per byte of file (FLAC silence in 65535-frame
    /// blocks, the densest coding libsndfile reads, stays under 10,000).
    public static let maxFramesPerByte = 65_536

    /// The header's frame count if it is believable for a file of `fileBytes` bytes, else
    /// nil (unknown: read to the end of the file).
    public static func believableFrames(_ frames: Int64, fileBytes: Int) -> Int? {
        guard frames >= 0, frames <= Int64(maxFrames) else { return nil }
        let (bound, overflow) = max(0, fileBytes).multipliedReportingOverflow(by: maxFramesPerByte)
        guard overflow || Int(frames) <= bound else { return nil }
        return Int(frames)
    }
}
