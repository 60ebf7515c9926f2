// A thin owner of a libsndfile handle: opens for reading (any format, or raw as told) or
// writing, and closes in deinit. Everything else in Audio/ goes through this one type, so
// the C API's conventions (Int32 flags, sf_count_t) stay in one place.
import CSndfile
import Foundation

package final class SoundFile {
    package let handle: OpaquePointer
    package let info: SF_INFO
    package let path: String
    /// The file's size in bytes when opened for reading (0 when writing).
    package let fileBytes: Int

    /// Opens `url` for reading; `raw` describes a headerless file. The header's sample rate
    /// and channel count (or `raw`'s) must be within `AudioLimits`.
    package init(reading url: URL, raw: RawFormat?) throws {
        path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw AudioError.missingFile(path: path)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { throw AudioError.emptyFile(path: path) }
        fileBytes = size
        if let raw {
            // Checked before libsndfile sees them: its SF_INFO holds Int32s.
            guard AudioLimits.sampleRates.contains(raw.sampleRate) else {
                throw AudioError.implausibleSampleRate(path: path, rate: raw.sampleRate)
            }
            guard AudioLimits.channels.contains(raw.channels) else {
                throw AudioError.badRawFormat(path: path, reason: "\(raw.channels) channels (libsndfile reads 1...\(AudioLimits.channels.upperBound))")
            }
        }
        var info = raw?.sndfileInfo ?? SF_INFO()
        // Through a descriptor: sf_open refuses paths over its 1024-byte SF_FILENAME_LEN, and
        // the kernel takes up to PATH_MAX (4096). sf_open_fd closes the descriptor, even on failure.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AudioError.readFailed(path: path, reason: String(cString: strerror(errno)))
        }
        guard let h = sf_open_fd(descriptor, Int32(SFM_READ), &info, 1) else {
            throw AudioError.notAudio(path: path, reason: String(cString: sf_strerror(nil)))
        }
        handle = h
        self.info = info
        guard AudioLimits.sampleRates.contains(Int(info.samplerate)) else {
            throw AudioError.implausibleSampleRate(path: path, rate: Int(info.samplerate))
        }
        guard AudioLimits.channels.contains(Int(info.channels)) else {
            throw AudioError.notAudio(path: path, reason: "header says \(info.channels) channels")
        }
        if let raw {
            // A headerless file whose length is not whole frames lost its end.
            let bytesPerFrame = raw.encoding.bytesPerSample * raw.channels
            if size % bytesPerFrame != 0 {
                throw AudioError.truncated(path: path, expectedFrames: size / bytesPerFrame + 1,
                                          readFrames: size / bytesPerFrame)
            }
        } else if let promised = Self.promisedDataBytes(logInfo) {
            // libsndfile quietly shortens a data chunk that runs past the end of the file
            // and notes "data : N (should be M)" in its log: that file was cut short.
            throw AudioError.truncatedData(path: path, promisedBytes: promised.said, presentBytes: promised.should)
        }
    }

    /// Opens `url` for writing with libsndfile format bits `format`.
    package init(writing url: URL, format: Int32, sampleRate: Int, channels: Int) throws {
        path = url.path
        fileBytes = 0
        var info = SF_INFO()
        // Clamped, not trapped: an absurd value then fails sf_format_check with a message.
        info.samplerate = Int32(clamping: sampleRate)
        info.channels = Int32(clamping: channels)
        info.format = format
        guard sf_format_check(&info) != 0 else {
            throw AudioError.writeFailed(path: path, reason: "libsndfile cannot write format 0x\(String(format, radix: 16)) at \(sampleRate) Hz, \(channels) channels")
        }
        guard let h = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw AudioError.writeFailed(path: path, reason: String(cString: sf_strerror(nil)))
        }
        handle = h
        self.info = info
    }

    deinit { sf_close(handle) }

    package var sampleRate: Int { Int(info.samplerate) }
    package var channels: Int { Int(info.channels) }
    /// The header's frame count if believable (`AudioLimits.believableFrames`), else nil.
    package var frames: Int? { AudioLimits.believableFrames(Int64(info.frames), fileBytes: fileBytes) }
    package var subtype: Int32 { info.format & Int32(SF_FORMAT_SUBMASK) }
    package var errorText: String? { sf_error(handle) == 0 ? nil : String(cString: sf_strerror(handle)) }

    /// libsndfile's log of what it found while parsing the header.
    package var logInfo: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        sf_command(handle, Int32(SFC_GET_LOG_INFO), &buffer, Int32(buffer.count))
        return String(cString: buffer)
    }

    /// Parses "data : N (should be M)" (WAV) or "SSND : N (should be M)" (AIFF) from
    /// libsndfile's log: the data chunk promised N bytes, the file holds M. A size of 0 or
    /// 0xFFFFFFFF is a streaming writer's placeholder, not a truncation.
    package static func promisedDataBytes(_ log: String) -> (said: Int, should: Int)? {
        for line in log.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("data") || text.hasPrefix("SSND"), text.contains("should be") else { continue }
            let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            if numbers.count >= 2, numbers[0] != 0, numbers[0] != 0xFFFF_FFFF, numbers[0] > numbers[1] {
                return (numbers[0], numbers[1])
            }
        }
        return nil
    }

}

extension RawEncoding {
    package var bytesPerSample: Int {
        switch self {
        case .pcm_u8, .pcm_s8, .ulaw, .alaw: return 1
        case .pcm_s16le, .pcm_s16be: return 2
        case .pcm_s24le, .pcm_s24be: return 3
        case .pcm_s32le, .pcm_s32be, .pcm_f32le, .pcm_f32be: return 4
        case .pcm_f64le, .pcm_f64be: return 8
        }
    }
}
