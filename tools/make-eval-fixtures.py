#!/usr/bin/env python3
"""Reference values for the evaluator's spectral measures, computed with numpy/scipy.

Writes Tests/RawSpeechTests/Fixtures/eval-metrics.bin: a few thousand samples of a
speech-like reference and an imperfect estimate of it, at 16 kHz and at 44.1 kHz, with the
expected log-spectral distance, spectral convergence, SNR, segmental SNR and LTAS distance
as defined in Sources/RawSpeech/Evaluation/SpectralMetrics.swift and LongTermSpectrum.swift.
The Swift test (Tests/RawSpeechTests/Evaluation/SpectralFixtureTests.swift) recomputes them
with FFTW and compares. Seeded: running it again writes the same bytes.

The STFT here is scipy.signal.stft, an implementation independent of ours: periodic Hann,
no boundary padding, scaling="spectrum" (divides by the window's sum). Everything is in
float64 from the float32 samples the file stores.

Format (little-endian):
  magic  8 bytes  b"RSEVALFX"
  version u32     1
  cases   u32
  per case:
    sample_rate u32, samples u32
    lsd_db, spectral_convergence, snr_db, segsnr_db, ltas_db   5 x f64
    reference   samples x f32
    estimate    samples x f32
"""
import struct
from pathlib import Path

import numpy as np
from scipy import signal

MAGIC = b"RSEVALFX"
VERSION = 1
POWER_FLOOR = 1e-10
SEGMENT_RANGE = (-10.0, 35.0)


def stft_config(rate):
    """Smallest power of two spanning >= 32 ms, hop a quarter of it."""
    minimum = (rate * 32 + 999) // 1000
    frame = 2
    while frame < minimum:
        frame *= 2
    return frame, frame // 4


def segment_length(rate):
    return max(1, int(round(rate * 0.016)))


def power_spectrogram(x, rate):
    frame, hop = stft_config(rate)
    _, _, z = signal.stft(x, fs=rate, window="hann", nperseg=frame, noverlap=frame - hop,
                          boundary=None, padded=False, detrend=False,
                          return_onesided=True, scaling="spectrum")
    # STFT mode does not double the one-sided bins (checked against np.fft.rfft), so this is
    # P[k] = |sum_n w[n] x[n] e^(-2 pi i k n / N)|^2 / (sum_n w[n])^2 for every bin.
    return (np.abs(z) ** 2).T  # (frames, bins)


def metrics(ref, est, rate):
    pr, pe = power_spectrogram(ref, rate), power_spectrogram(est, rate)
    db = 10 * np.log10(np.maximum(pr, POWER_FLOOR) / np.maximum(pe, POWER_FLOOR))
    lsd = np.mean(np.sqrt(np.mean(db ** 2, axis=1)))
    sc = np.linalg.norm(np.sqrt(pr) - np.sqrt(pe)) / np.linalg.norm(np.sqrt(pr))
    err = ref - est
    snr = 10 * np.log10(np.sum(ref ** 2) / np.sum(err ** 2))
    n = segment_length(rate)
    whole = len(ref) // n
    r = (ref[: whole * n] ** 2).reshape(whole, n).sum(axis=1)
    e = (err[: whole * n] ** 2).reshape(whole, n).sum(axis=1)
    seg = np.clip(10 * np.log10(r / e), *SEGMENT_RANGE)
    ltas_r, ltas_e = pr.mean(axis=0), pe.mean(axis=0)
    ltas_db = 10 * np.log10(np.maximum(ltas_r, POWER_FLOOR) / np.maximum(ltas_e, POWER_FLOOR))
    ltas = np.sqrt(np.mean(ltas_db ** 2))
    return [lsd, sc, snr, seg.mean(), ltas]


def speech_like(rng, rate, count):
    """A voiced-speech caricature: a gliding harmonic source through two resonances, an
    amplitude envelope and a noise floor (so no bin sits at float32 round-off)."""
    t = np.arange(count) / rate
    f0 = 120 + 30 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    source = sum(np.sin(h * phase) / h for h in range(1, 30) if h * 150 < rate / 2)
    for centre, bandwidth in ((700, 120), (1800, 200)):
        b, a = signal.iirpeak(centre, centre / bandwidth, fs=rate)
        source = source + 2 * signal.lfilter(b, a, source)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    x = 0.1 * envelope * source / np.max(np.abs(source))
    return x + 3e-3 * rng.standard_normal(count)


def estimate_of(rng, ref, rate):
    """A plausible imperfect prediction: smoothed, slightly delayed, with its own noise."""
    b, a = signal.butter(4, 0.6 * rate / 2, fs=rate)
    smoothed = signal.lfilter(b, a, ref)
    return 0.9 * np.concatenate(([0.0], smoothed[:-1])) + 5e-3 * rng.standard_normal(len(ref))


def main():
    rng = np.random.default_rng(20141211)
    cases = []
    for rate, count in ((16000, 5000), (44100, 6000)):
        ref = speech_like(rng, rate, count).astype(np.float32)
        est = estimate_of(rng, ref.astype(np.float64), rate).astype(np.float32)
        values = metrics(ref.astype(np.float64), est.astype(np.float64), rate)
        cases.append((rate, ref, est, values))
    out = Path(__file__).resolve().parent.parent / "Tests/RawSpeechTests/Fixtures/eval-metrics.bin"
    with open(out, "wb") as f:
        f.write(MAGIC + struct.pack("<II", VERSION, len(cases)))
        for rate, ref, est, values in cases:
            f.write(struct.pack("<II", rate, len(ref)))
            f.write(struct.pack("<5d", *values))
            f.write(ref.astype("<f4").tobytes())
            f.write(est.astype("<f4").tobytes())
    for rate, ref, _, values in cases:
        print(f"{rate} Hz, {len(ref)} samples: lsd {values[0]:.4f} dB, sc {values[1]:.4f}, "
              f"snr {values[2]:.3f} dB, segsnr {values[3]:.3f} dB, ltas {values[4]:.4f} dB")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
