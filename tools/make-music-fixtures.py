#!/usr/bin/env python3
"""Reference values for the music (Bernoulli) head, computed by PyTorch autograd.

Writes Tests/RawSpeechTests/Fixtures/music-<cell>.bin for tanh, the paper's GRU and the
peephole LSTM with the 88-way logistic head of the paper's music experiments, in small:
D notes in and out, a batch of rolls of unequal length padded and masked. The loss is
torch's binary_cross_entropy_with_logits summed over the notes of a step, then averaged
over the real (unmasked) steps: NLL per time step in nats, the paper's Table 2 unit. The
recurrent layers are tools/make-network-fixtures.py's (the same hand-written equations).

File format: as make-network-fixtures.py (magic b"RSNF", version 1, named float64 records).
config = [layers, H, D, B, T]; mask (T, B) with 1 on real steps.

Run: $(tools/reference-env torch) tools/make-music-fixtures.py
"""
import importlib.util
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(__file__)
spec = importlib.util.spec_from_file_location("network_fixtures", os.path.join(HERE, "make-network-fixtures.py"))
network = importlib.util.module_from_spec(spec)
spec.loader.exec_module(network)

torch.set_default_dtype(torch.float64)
D, H, B, T = 6, 5, 3, 5
LENGTHS = [5, 3, 1]  # each roll's real steps; the rest of the T rows is padding
GATES = {"tanh": 1, "gru": 3, "lstm": 4}


def make_params(cell, gen):
    """Tensors in the Swift ParameterLayout order, uniform +-0.5 (biases, peepholes too)."""
    G = GATES[cell]
    names = [("W0", (D, G * H)), ("U0", (H, G * H)), ("b0", (G * H,))]
    if cell == "lstm":
        names.append(("V0", (3 * H,)))
    names += [("Wo", (H, D)), ("bo", (D,))]
    return {n: (torch.rand(s, generator=gen) - 0.5).requires_grad_() for n, s in names}


def main():
    for seed, cell in enumerate(["tanh", "gru", "lstm"]):
        gen = torch.Generator().manual_seed(3000 + seed)
        p = make_params(cell, gen)
        # Rolls of 0/1 notes; inputs are the previous step (zeros first), as in training.
        rolls = (torch.rand(T, B, D, generator=gen) < 0.4).double()
        mask = torch.tensor([[1.0 if t < n else 0.0 for n in LENGTHS] for t in range(T)])
        rolls = rolls * mask[:, :, None]
        x = torch.cat([torch.zeros(1, B, D), rolls[:-1]]).requires_grad_()
        state = torch.zeros(B, 2 * H if cell == "lstm" else H)
        top, final = network.recurrent(cell, "paper", 1, p, x, state)
        out = top.reshape(T * B, H) @ p["Wo"] + p["bo"]
        step_nll = F.binary_cross_entropy_with_logits(out, rolls.reshape(T * B, D), reduction="none").sum(-1)
        frame = step_nll * mask.reshape(T * B)
        loss = frame.sum() / mask.sum()
        loss.backward()
        params = torch.cat([t.detach().flatten() for t in p.values()])
        grads = torch.cat([t.grad.flatten() for t in p.values()])
        path = os.path.join(HERE, "..", "Tests", "RawSpeechTests", "Fixtures", f"music-{cell}.bin")
        records = [("config", [1, H, D, B, T]), ("parameters", params), ("inputs", x.detach()),
                   ("targets", rolls), ("mask", mask), ("loss", [loss.item()]), ("frame_nll", frame.detach()),
                   ("head_outputs", out.detach()), ("gradient", grads), ("input_gradient", x.grad)]
        write(path, records)


def write(path, records):
    with open(path, "wb") as f:
        f.write(b"RSNF" + struct.pack("<II", 1, len(records)))
        for key, value in records:
            data = torch.as_tensor(value, dtype=torch.float64).flatten().tolist()
            f.write(struct.pack("<I", len(key)) + key.encode() + struct.pack("<I", len(data)))
            f.write(struct.pack(f"<{len(data)}d", *data))
    print("wrote", os.path.relpath(path))


if __name__ == "__main__":
    main()
