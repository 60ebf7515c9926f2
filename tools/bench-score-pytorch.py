#!/usr/bin/env python3
"""The PyTorch side of tools/bench-score: the same forward pass `rawspeech score` runs
(a one-layer GRU over frames of 20 samples, a dense mixture-density head with K components
over the next 10 samples, per-frame NLL with a log-sum-exp), timed on CPU without autograd.
nn.GRU is PyTorch's (cuDNN-form) GRU; the head and NLL are written out as in
Sources/RawSpeech/Network/MixtureDensity.swift. Prints one JSON object.
"""
import argparse
import json
import math
import time

import torch


def mdn_nll(out, target, components, floor=1e-3):
    """-log p(target) per frame; out (..., K(1+2D)) as [logits | means | logstds]."""
    k, d = components, target.shape[-1]
    logits = out[..., :k]
    means = out[..., k:k + k * d].unflatten(-1, (k, d))
    sigma = floor + torch.exp(out[..., k + k * d:].unflatten(-1, (k, d)))
    z = (target.unsqueeze(-2) - means) / sigma
    log_n = -(0.5 * z * z + torch.log(sigma)).sum(-1) - d * 0.5 * math.log(2 * math.pi)
    return -torch.logsumexp(torch.log_softmax(logits, -1) + log_n, -1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--units", type=int, default=227)
    p.add_argument("--components", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--recordings", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    gru = torch.nn.GRU(20, a.units)
    head = torch.nn.Linear(a.units, a.components * 21)
    total = int(a.seconds * 16000)
    audio = torch.randn(total)  # normalized units: content does not change the work

    def frames(signal):
        n = (signal.numel() - 30) // 10 + 1
        idx = torch.arange(n).unsqueeze(1) * 10
        return signal[idx + torch.arange(20)], signal[idx + 20 + torch.arange(10)]

    def forward(batch):
        # batch: list of equal-length signals -> (T, B, 20) time-major as nn.GRU expects.
        xs, ys = zip(*(frames(s) for s in batch))
        x, y = torch.stack(xs, 1), torch.stack(ys, 1)
        h, _ = gru(x)
        return mdn_nll(head(h), y, a.components).mean()

    def best(batch):
        fastest = math.inf
        with torch.inference_mode():
            forward(batch)  # warm-up
            for _ in range(a.repeats):
                start = time.perf_counter()
                forward(batch)
                fastest = min(fastest, time.perf_counter() - start)
        return fastest

    piece = total // a.recordings
    one = best([audio])
    many = best([audio[i * piece:(i + 1) * piece] for i in range(a.recordings)])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "units": a.units,
                      "seconds": total / 16000, "recordings": a.recordings,
                      "forward_one_seconds": round(one, 4), "forward_batched_seconds": round(many, 4),
                      "forward_one_x_realtime": round(total / 16000 / one, 1),
                      "forward_batched_x_realtime": round(total / 16000 / many, 1)}))


if __name__ == "__main__":
    main()
