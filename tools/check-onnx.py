#!/usr/bin/env python3
"""Runs an exported rawspeech model in onnxruntime and compares it with rawspeech's own pass.

  check-onnx.py CASE_DIR
CASE_DIR holds model.onnx and, written by the Swift test (Tests/.../Export/ONNXExportTests):
case.json (T, B, S, K, D), frames.f32 (T, B, I) waveform units, state.f32 (B, S),
targets.f32 (T, B, D) normalized, head.f32 (T, B, K(1+2D)) rawspeech's raw head outputs,
final.f32 (B, S) its final state, nll.f32 (T, B) its per-frame NLL (nats, normalized units).
Checks the model with onnx.checker, then: head outputs and final state within 1e-5
(|a - b| <= 1e-5 * max(1, |b|)), and the mixture NLL computed from onnxruntime's outputs
within 1e-4 of rawspeech's. Prints the worst differences; exit 1 if any check fails.
"""
import json, os, sys
import numpy as np
import onnx
import onnxruntime as ort


def mixture_nll(logits, means, log_stds, targets, floor):
    """Per-frame NLL of targets (T, B, D) under the mixture (nats), float64."""
    logits, means, log_stds = (a.astype(np.float64) for a in (logits, means, log_stds))
    sigma = floor + np.exp(log_stds)                       # (T, B, K, D)
    z = (targets[:, :, None, :] - means) / sigma
    log_gauss = -(0.5 * z * z + np.log(sigma) + 0.5 * np.log(2 * np.pi)).sum(-1)  # (T, B, K)
    log_pi = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    return -np.logaddexp.reduce(log_pi + log_gauss, axis=-1)


def main(folder):
    case = json.load(open(os.path.join(folder, "case.json")))
    T, B, S, K, D, I = (case[k] for k in ("T", "B", "S", "K", "D", "I"))
    load = lambda name, shape: np.fromfile(os.path.join(folder, name), dtype="<f4").reshape(shape)
    frames, state = load("frames.f32", (T, B, I)), load("state.f32", (B, S))
    targets, head = load("targets.f32", (T, B, D)), load("head.f32", (T, B, K * (1 + 2 * D)))
    final, nll = load("final.f32", (B, S)), load("nll.f32", (T, B))
    path = os.path.join(folder, "model.onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    logits, means, log_stds, final_state = session.run(
        ["mixture_logits", "means", "log_stds", "final_state"], {"frames": frames, "initial_state": state})
    expected = (head[..., :K], head[..., K:K + K * D].reshape(T, B, K, D), head[..., K + K * D:].reshape(T, B, K, D), final)
    failed = False
    for name, got, want in zip(("mixture_logits", "means", "log_stds", "final_state"),
                               (logits, means, log_stds, final_state), expected):
        if got.shape != want.shape:
            print(f"{name}: shape {got.shape}, rawspeech {want.shape}"); failed = True; continue
        excess = np.abs(got - want) - 1e-5 * np.maximum(1, np.abs(want))
        worst = float(np.abs(got - want).max()) if got.size else 0.0
        print(f"{name}: max |onnxruntime - rawspeech| = {worst:.3g}")
        if got.size and excess.max() > 0:
            failed = True
    ours = mixture_nll(logits, means, log_stds, targets.astype(np.float64), float(meta["sigma_floor"]))
    worst = float(np.abs(ours - nll).max())
    print(f"nll: max |from onnxruntime - rawspeech| = {worst:.3g} nats")
    if worst > 1e-4:
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
