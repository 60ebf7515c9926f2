// The only place in rawspeech that calls FFTW's planner. FFTW's planner (`fftwf_plan_*`,
// wisdom import/export) is not thread-safe, and Swift Testing and `score` run work in
// parallel in one process, so every planner call goes through one process-wide lock. Plans
// are made once per size with FFTW_MEASURE and kept for the life of the process; FFTW's
// wisdom is loaded from and saved to a cache file, so the measuring happens once per machine
// rather than once per run. This file does not execute transforms: `STFT` does, with the
// new-array execute function, which FFTW documents as safe to call concurrently on distinct
// buffers with one shared plan.
import RawSpeechCore
import CFFTW
import Foundation

/// Serializes every call into FFTW's planner in this process (planning, wisdom).
package let fftwPlannerLock = NSLock()

/// A cached single-precision real-to-complex plan of one size (out of place, made on
/// SIMD-aligned buffers): execute it only with `fftwf_execute_dft_r2c` on `fftwf_malloc`ed
/// arrays of the same size, never destroy it.
package struct RealFFTPlan: @unchecked Sendable {
    // @unchecked: an FFTW plan is immutable after planning, and executing it with new arrays
    // is thread-safe (FFTW manual, "Thread safety").
    package let handle: OpaquePointer
    package let size: Int
}

/// Makes and caches FFTW plans, and keeps FFTW's wisdom in a cache file between runs.
public final class FFTWPlanner: @unchecked Sendable {
    // @unchecked: all mutable state is touched only while holding `fftwPlannerLock`.

    /// The process-wide planner; there is one because FFTW's planner state is process-wide.
    public static let shared = FFTWPlanner(wisdomURL: FFTWPlanner.defaultWisdomURL())

    /// Where wisdom is read and written: `$RAWSPEECH_FFTW_WISDOM` if set (empty disables the
    /// cache), else `$XDG_CACHE_HOME/rawspeech/fftw-wisdom` (an absolute path, as the XDG spec asks),
    /// else `$HOME/.cache/rawspeech/fftw-wisdom`.
    public let wisdomURL: URL?

    private var plans: [Int: RealFFTPlan] = [:]
    private var wisdomLoaded = false
    private var savedWisdom: String?
    private var _lastWisdomError: String?

    private init(wisdomURL: URL?) {
        self.wisdomURL = wisdomURL
    }

    /// Why the wisdom file could not be read or written last time, if it could not: a cache
    /// failure only costs planning time, so it is recorded here rather than thrown.
    public var lastWisdomError: String? {
        fftwPlannerLock.withLock { _lastWisdomError }
    }

    /// The sizes planned so far in this process (for tests and diagnostics).
    public var plannedSizes: [Int] {
        fftwPlannerLock.withLock { plans.keys.sorted() }
    }

    /// FFTW's current wisdom as text (what the cache file holds).
    public func wisdom() -> String {
        fftwPlannerLock.withLock { exportWisdomLocked() ?? "" }
    }

    /// `environment` is the process's; tests pass their own. `$HOME` wins over the password
    /// database, as every XDG tool has it (a user who points HOME elsewhere means it).
    package static func defaultWisdomURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let path = environment["RAWSPEECH_FFTW_WISDOM"] {
            return path.isEmpty ? nil : URL(fileURLWithPath: path)
        }
        let cache: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            cache = URL(fileURLWithPath: xdg)
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            cache = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        } else {
            cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        }
        return cache.appendingPathComponent("rawspeech/fftw-wisdom")
    }

    /// The real-to-complex plan for `size` samples, made on first use (FFTW_MEASURE, helped
    /// by cached wisdom) and shared afterwards.
    package func realForwardPlan(size: Int) -> RealFFTPlan {
        precondition(size >= 2 && size <= Int(Int32.max), "FFT size \(size) out of range")
        return fftwPlannerLock.withLock {
            if let plan = plans[size] { return plan }
            loadWisdomLocked()
            // FFTW_MEASURE overwrites the arrays while timing, so plan on scratch buffers;
            // fftwf_malloc gives the SIMD alignment the callers' buffers will also have.
            let input = fftwf_alloc_real(size)!
            let output = fftwf_alloc_complex(size / 2 + 1)!
            defer {
                fftwf_free(input)
                fftwf_free(output)
            }
            guard let handle = fftwf_plan_dft_r2c_1d(Int32(size), input, output, FFTW_MEASURE) else {
                preconditionFailure("FFTW could not plan a real FFT of size \(size)")
            }
            let plan = RealFFTPlan(handle: handle, size: size)
            plans[size] = plan
            saveWisdomLocked()
            return plan
        }
    }

    private func exportWisdomLocked() -> String? {
        guard let text = fftwf_export_wisdom_to_string() else { return nil }
        defer { free(text) }
        return String(cString: text)
    }

    private func loadWisdomLocked() {
        guard !wisdomLoaded else { return }
        wisdomLoaded = true
        guard let url = wisdomURL, FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            let text = try String(contentsOf: url, encoding: .utf8)
            if fftwf_import_wisdom_from_string(text) == 0 {
                // A corrupt cache only costs planning time; the next save replaces it.
                _lastWisdomError = "\(url.path): not FFTW wisdom, ignored (it will be rewritten)"
            } else {
                savedWisdom = text
            }
        } catch {
            _lastWisdomError = "\(url.path): \(error.localizedDescription)"
        }
    }

    private func saveWisdomLocked() {
        guard let url = wisdomURL, let text = exportWisdomLocked(), text != savedWisdom else { return }
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // A temporary file renamed into place: a concurrent run never reads half a
            // file, and the last writer wins with a complete one.
            try AtomicFile.write(Data(text.utf8), to: url)
            savedWisdom = text
        } catch let error as RecordFileError {
            _lastWisdomError = error.description
        } catch {
            _lastWisdomError = "\(url.path): \(error.localizedDescription)"
        }
    }
}
