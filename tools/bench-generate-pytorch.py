#!/usr/bin/env python3
"""PyTorch peer of `rawspeech bench score`'s generate row: the same free-running sampling,
step by step at B = 1 (T = 1): a GRU-227 (torch's nn.GRU, the cuDNN form) and a dense
mixture head (K = 20 components over D = 10 samples, O = K(1 + 2D)) on the last I = 20
samples; one component drawn by its softmax weight, then D Gaussian draws; the draw becomes
the second half of the next input. Freshly initialized weights (speed does not depend on
them). Prints one JSON object: x real time by the wall clock and by this thread's CPU time.
  python tools/bench-generate-pytorch.py [--seconds 10] [--repeats 3] [--threads 1]"""
import argparse, json, time
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--units", type=int, default=227)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)
I, D, K, H = 20, 10, 20, args.units
gru = torch.nn.GRU(I, H)
head = torch.nn.Linear(H, K * (1 + 2 * D))
steps = int(args.seconds * 16_000) // D


@torch.inference_mode()
def generate():
    h = torch.zeros(1, 1, H)
    context = torch.zeros(I)
    out = torch.empty(steps * D)
    for n in range(steps):
        y, h = gru(context.view(1, 1, I), h)
        o = head(y.view(H))
        logits, means, logstds = o[:K], o[K:K + K * D].view(K, D), o[K + K * D:].view(K, D)
        k = int(torch.multinomial(torch.softmax(logits, 0), 1))
        draw = means[k] + (1e-3 + torch.exp(logstds[k])) * torch.randn(D)
        out[n * D:(n + 1) * D] = draw
        context = torch.cat((context[D:], draw))
    return out


wall, cpu = float("inf"), float("inf")
for _ in range(args.repeats):
    w, c = time.perf_counter(), time.thread_time()
    generate()
    wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.thread_time() - c)
print(json.dumps({"torch": torch.__version__, "threads": args.threads, "units": H, "seconds": args.seconds,
                  "generate_x_realtime": round(args.seconds / wall, 1),
                  "generate_cpu_x_realtime": round(args.seconds / cpu, 1)}))
