#!/usr/bin/env python3
"""PyTorch DDP (gloo) for tools/bench-cluster: the work of `tools/bench-train-pytorch.py`
(GRU or LSTM, mixture-density head, RMSprop, clipping) with the global batch split over the
world's processes, each with one thread, gradients averaged by DistributedDataParallel over gloo
(bucketed allreduces overlapping the backward pass).
Weight noise as rawspeech's Trainer applies it (paper.md's recipe; `train`'s default 0.075):
every update, the weight matrices (not the biases) are perturbed by N(0, std^2) drawn on each
rank from the same seed, forward and backward run at the noisy weights, and the gradient is
applied to the clean weights (saved before, restored before clipping and the RMSprop step).
nn.GRU is the cuDNN form (one recurrent GEMM fewer per step than the paper's), nn.LSTM has no
peepholes: a little less work than rawspeech's cells.
Started once per rank by the script (torch.distributed's env:// rendezvous on 127.0.0.1:
MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE). Rank 0 prints one JSON object:
ms_per_update and train_steps_per_second (time steps x global batch per second), and
cpu_ms_per_update, rank 0's CPU time per update (steadier than wall clock on a shared machine).
"""
import argparse
import json
import math
import time

import torch
import torch.distributed as dist


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    parser.add_argument("--units", type=int, default=227)
    parser.add_argument("--weight-noise", type=float, default=0.075)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--components", type=int, default=20)
    parser.add_argument("--updates", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(1)
    I, D, K, H, T, floor = 20, 10, args.components, args.units, args.steps, 1e-3
    B = args.batch // world  # this rank's rows of the global batch
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.GRU(I, H) if args.cell == "gru" else torch.nn.LSTM(I, H)
            self.head = torch.nn.Linear(H, K * (1 + 2 * D))

        def forward(self, x, state, y):
            out, new_state = self.rnn(x, state)
            out = self.head(out.reshape(T * B, H))
            logits = out[:, :K]
            means = out[:, K:K + K * D].reshape(-1, K, D)
            sigma = floor + torch.exp(out[:, K + K * D:].reshape(-1, K, D))
            z = (y[:, None, :] - means) / sigma
            log_normal = -(0.5 * z * z + torch.log(sigma)).sum(-1) - 0.5 * D * math.log(2 * math.pi)
            return -torch.logsumexp(torch.log_softmax(logits, -1) + log_normal, -1).mean(), new_state

    model = torch.nn.parallel.DistributedDataParallel(Net())  # averages gradients in backward
    params = list(model.parameters())
    optimizer = torch.optim.RMSprop(params, lr=1e-4, alpha=0.9, eps=1e-6)
    t = torch.arange(T * B * I, dtype=torch.float32)
    x = (torch.sin(t * 0.07 + rank) + 0.1 * torch.randn(T * B * I)).reshape(T, B, I)
    y = (torch.sin(torch.arange(T * B * D, dtype=torch.float32) * 0.07 + 1) + 0.1 * torch.randn(T * B * D)).reshape(T * B, D)
    zeros = torch.zeros(1, B, H)
    state = (zeros, zeros.clone()) if args.cell == "lstm" else zeros
    # The weight matrices (rnn.weight_ih_l0, rnn.weight_hh_l0, head.weight), not the biases.
    weights = [p for name, p in model.named_parameters() if "weight" in name]
    clean = [torch.empty_like(w) for w in weights]
    noise = torch.Generator().manual_seed(7)  # the same on every rank, as rawspeech's

    def update():
        nonlocal state
        with torch.no_grad():
            for w, c in zip(weights, clean):
                c.copy_(w)
                if args.weight_noise > 0:
                    w.add_(torch.randn(w.shape, generator=noise), alpha=args.weight_noise)
        loss, new_state = model(x, state, y)
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            for w, c in zip(weights, clean):
                w.copy_(c)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        state = tuple(s.detach() for s in new_state) if args.cell == "lstm" else new_state.detach()

    update()  # warm-up
    dist.barrier()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.updates):
        update()
    cpu = time.process_time() - cpu_start  # this process's CPU (all its threads), before the barrier's wait
    dist.barrier()
    seconds = time.perf_counter() - start
    if rank == 0:
        print(json.dumps({"framework": f"pytorch {torch.__version__} gloo", "world": world, "cell": args.cell,
                          "weight_noise": args.weight_noise,
                          "ms_per_update": round(1000 * seconds / args.updates, 1),
                          "cpu_ms_per_update": round(1000 * cpu / args.updates, 1),
                          "train_steps_per_second": round(args.updates * T * args.batch / seconds, 1)}))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
