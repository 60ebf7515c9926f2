#!/usr/bin/env python3
"""The PyTorch side of tools/bench-train: the same training work as `rawspeech bench train`.

nn.RNN (tanh) / nn.GRU / nn.LSTM with 20 inputs, a dense mixture-density head (K
components over 10 samples: K logits, K*10 means, K*10 log-stds, sigma = floor + exp),
mean NLL per frame via logsumexp, truncated BPTT over chunks of T steps with the state
carried (detached), gradient-norm clipping to 1 and RMSprop; float32 on the CPU with
torch.set_num_threads(2). Differences from rawspeech, both in PyTorch's favour: nn.GRU
is the cuDNN form (one recurrent GEMM per step; the paper's form needs two) and nn.LSTM
has no peepholes. Prints one JSON object with train_steps_per_second and
inference_steps_per_second (time steps x batch per second).
"""
import argparse
import json
import math
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", choices=["tanh", "gru", "lstm"], required=True)
    parser.add_argument("--units", type=int, required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--components", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    I, D, K, H, B, T, floor = 20, 10, args.components, args.units, args.batch, args.steps, 1e-3
    rnn = {"tanh": lambda: torch.nn.RNN(I, H, nonlinearity="tanh"),
           "gru": lambda: torch.nn.GRU(I, H), "lstm": lambda: torch.nn.LSTM(I, H)}[args.cell]()
    head = torch.nn.Linear(H, K * (1 + 2 * D))
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.RMSprop(params, lr=1e-4, alpha=0.9, eps=1e-6)
    t = torch.arange(T * B * I, dtype=torch.float32)
    x = (torch.sin(t * 0.07) + 0.1 * torch.randn(T * B * I)).reshape(T, B, I)
    y = (torch.sin(torch.arange(T * B * D, dtype=torch.float32) * 0.07 + 1) + 0.1 * torch.randn(T * B * D)).reshape(T * B, D)
    zeros = torch.zeros(1, B, H)
    state = (zeros, zeros.clone()) if args.cell == "lstm" else zeros

    def loss_of(out):
        out = head(out.reshape(T * B, H))
        logits = out[:, :K]
        means = out[:, K:K + K * D].reshape(-1, K, D)
        sigma = floor + torch.exp(out[:, K + K * D:].reshape(-1, K, D))
        z = (y[:, None, :] - means) / sigma
        log_normal = -(0.5 * z * z + torch.log(sigma)).sum(-1) - 0.5 * D * math.log(2 * math.pi)
        return -torch.logsumexp(torch.log_softmax(logits, -1) + log_normal, -1).mean()

    def detach(s):
        return tuple(v.detach() for v in s) if isinstance(s, tuple) else s.detach()

    def update():
        nonlocal state
        out, new_state = rnn(x, state)
        loss = loss_of(out)
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        state = detach(new_state)
        return loss.item()

    def infer():
        nonlocal state
        with torch.no_grad():
            out, state = rnn(x, state)
            return loss_of(out).item()

    def timed(body):
        body()  # warm-up
        start, count = time.perf_counter(), 0
        while True:
            body()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= args.seconds and count >= 3:
                return count, elapsed

    n, s = timed(update)
    m, r = timed(infer)
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "cell": args.cell, "units": H, "batch": B,
                      "steps": T, "threads": torch.get_num_threads(),
                      "train_steps_per_second": round(n * T * B / s, 1),
                      "inference_steps_per_second": round(m * T * B / r, 1), "train_updates_timed": n}))


if __name__ == "__main__":
    main()
