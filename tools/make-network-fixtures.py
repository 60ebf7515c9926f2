#!/usr/bin/env python3
"""Reference values for the network's Swift tests, computed by PyTorch autograd.

Writes Tests/RawSpeechTests/Fixtures/network-<case>.bin for each recurrent unit (tanh,
paper GRU, cuDNN GRU, peephole LSTM, a 2-layer stack) with the MDN head, plus
network-mdn.bin for the mixture head alone. The equations are written out by hand from
/work/shared/paper.md (the paper's GRU and Graves's peephole LSTM are not in torch.nn);
the cuDNN-form GRU is additionally checked against torch.nn.GRU so that `.cudnn` really
is PyTorch's GRU. Everything runs in float64 with fixed seeded weights, so the files are
reproducible and the Swift side can compare its Double path tightly and its Float path
to 1e-5.

File format (little-endian): magic b"RSNF", version u32 = 1, record count u32, then
per record: name length u32, name (UTF-8), value count u32, values float64.

Run: $(tools/reference-env torch) tools/make-network-fixtures.py
"""
import math
import os
import struct

import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RawSpeechTests", "Fixtures")
# The floor is a power of two: ModelConfig stores it as Float, so 0.05 would differ by 7e-10.
I, D, H, K, B, T, FLOOR = 4, 3, 5, 3, 2, 4, 0.0625
GATES = {"tanh": 1, "gru": 3, "lstm": 4}


def write(name, records):
    path = os.path.join(OUT, f"network-{name}.bin")
    with open(path, "wb") as f:
        f.write(b"RSNF" + struct.pack("<II", 1, len(records)))
        for key, value in records:
            data = torch.as_tensor(value, dtype=torch.float64).flatten().tolist()
            f.write(struct.pack("<I", len(key)) + key.encode() + struct.pack("<I", len(data)))
            f.write(struct.pack(f"<{len(data)}d", *data))
    print("wrote", os.path.relpath(path))


def mixture_nll(out, y):
    """Per-frame NLL of y (N, D) under the head's raw outputs (N, K(1+2D))."""
    logits = out[:, :K]
    means = out[:, K:K + K * D].reshape(-1, K, D)
    sigma = FLOOR + torch.exp(out[:, K + K * D:].reshape(-1, K, D))
    z = (y[:, None, :] - means) / sigma
    log_normal = -(0.5 * z * z + torch.log(sigma) + 0.5 * math.log(2 * math.pi)).sum(-1)
    return -torch.logsumexp(torch.log_softmax(logits, -1) + log_normal, -1)


def make_params(cell, form, layers, gen):
    """Tensors in the Swift ParameterLayout order, uniform +-0.5 (biases, peepholes too)."""
    G = GATES[cell]
    names = []
    for l in range(layers):
        fan_in = I if l == 0 else H
        names += [(f"W{l}", (fan_in, G * H)), (f"U{l}", (H, G * H)), (f"b{l}", (G * H,))]
        if cell == "gru" and form == "cudnn":
            names.append((f"bh{l}", (3 * H,)))
        if cell == "lstm":
            names.append((f"V{l}", (3 * H,)))
    names += [("Wo", (H, K * (1 + 2 * D))), ("bo", (K * (1 + 2 * D),))]
    return {n: (torch.rand(s, generator=gen) - 0.5).requires_grad_() for n, s in names}


def recurrent(cell, form, layers, p, x, state):
    """The recurrent layers alone (sizes from the tensors); returns the top layer's hidden
    states (T, B, H) and the final state. tools/make-music-fixtures.py runs them too."""
    T, H = x.shape[0], p["U0"].shape[0]
    per_layer = 2 * H if cell == "lstm" else H
    finals = []
    inp = x  # (T, B, In)
    for l in range(layers):
        h = state[:, l * per_layer:l * per_layer + H]
        c = state[:, l * per_layer + H:l * per_layer + 2 * H] if cell == "lstm" else None
        W, U, b = p[f"W{l}"], p[f"U{l}"], p[f"b{l}"]
        outs = []
        for t in range(T):
            a = inp[t] @ W + b
            if cell == "tanh":
                h = torch.tanh(a + h @ U)
            elif cell == "gru" and form == "paper":
                z = torch.sigmoid(a[:, :H] + h @ U[:, :H])
                r = torch.sigmoid(a[:, H:2 * H] + h @ U[:, H:2 * H])
                cand = torch.tanh(a[:, 2 * H:] + (r * h) @ U[:, 2 * H:])
                h = (1 - z) * h + z * cand
            elif cell == "gru":
                rec = h @ U + p[f"bh{l}"]
                z = torch.sigmoid(a[:, :H] + rec[:, :H])
                r = torch.sigmoid(a[:, H:2 * H] + rec[:, H:2 * H])
                n = torch.tanh(a[:, 2 * H:] + r * rec[:, 2 * H:])
                h = (1 - z) * n + z * h
            else:
                V = p[f"V{l}"]
                g = a + h @ U
                i = torch.sigmoid(g[:, :H] + V[:H] * c)
                f = torch.sigmoid(g[:, H:2 * H] + V[H:2 * H] * c)
                cand = torch.tanh(g[:, 2 * H:3 * H])
                c = f * c + i * cand
                o = torch.sigmoid(g[:, 3 * H:] + V[2 * H:] * c)  # peeks at c_t
                h = o * torch.tanh(c)
            outs.append(h)
        finals += [h, c] if cell == "lstm" else [h]
        inp = torch.stack(outs)
    return inp, torch.cat(finals, 1)


def run(cell, form, layers, p, x, y, state):
    """Forward of the whole model; returns mean NLL, per-frame NLL, head outputs, final state."""
    top, final = recurrent(cell, form, layers, p, x, state)
    out = top.reshape(T * B, H) @ p["Wo"] + p["bo"]
    frame = mixture_nll(out, y.reshape(T * B, D))
    return frame.mean(), frame, out, final


def check_cudnn_against_torch(p, x, state):
    """The hand-written cuDNN form must be nn.GRU (gate order r, z, n there; z, r, n here)."""
    gru = torch.nn.GRU(I, H)
    perm = lambda m: torch.cat([m[H:2 * H], m[:H], m[2 * H:]])
    with torch.no_grad():
        gru.weight_ih_l0.copy_(perm(p["W0"].T))
        gru.weight_hh_l0.copy_(perm(p["U0"].T))
        gru.bias_ih_l0.copy_(perm(p["b0"]))
        gru.bias_hh_l0.copy_(perm(p["bh0"]))
        expected, _ = gru(x, state[None])
    return expected


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [("tanh", "tanh", "paper", 1), ("gru-paper", "gru", "paper", 1), ("gru-cudnn", "gru", "cudnn", 1),
             ("lstm", "lstm", "paper", 1), ("lstm-2-layers", "lstm", "paper", 2)]
    for seed, (name, cell, form, layers) in enumerate(cases):
        gen = torch.Generator().manual_seed(1000 + seed)
        p = make_params(cell, form, layers, gen)
        state_size = layers * (2 * H if cell == "lstm" else H)
        x = torch.randn(T, B, I, generator=gen).requires_grad_()
        y = torch.randn(T, B, D, generator=gen)
        state = 0.5 * torch.randn(B, state_size, generator=gen)
        loss, frame, out, final = run(cell, form, layers, p, x, y, state)
        loss.backward()
        if form == "cudnn":
            hidden = []
            with torch.no_grad():  # re-run the layer alone to compare its hidden states
                h = state
                for t in range(T):
                    a = x[t] @ p["W0"] + p["b0"]
                    rec = h @ p["U0"] + p["bh0"]
                    z = torch.sigmoid(a[:, :H] + rec[:, :H])
                    r = torch.sigmoid(a[:, H:2 * H] + rec[:, H:2 * H])
                    n = torch.tanh(a[:, 2 * H:] + r * rec[:, 2 * H:])
                    h = (1 - z) * n + z * h
                    hidden.append(h)
                ref = check_cudnn_against_torch(p, x.detach(), state)
            assert torch.allclose(torch.stack(hidden), ref, atol=1e-12), "cuDNN form differs from nn.GRU"
        params = torch.cat([t.detach().flatten() for t in p.values()])
        grads = torch.cat([t.grad.flatten() for t in p.values()])
        config = [layers, H, K, I, D, B, T, FLOOR]
        write(name, [("config", config), ("parameters", params), ("inputs", x.detach()), ("targets", y),
                     ("state", state), ("loss", [loss.item()]), ("frame_nll", frame.detach()),
                     ("head_outputs", out.detach()), ("final_state", final.detach()),
                     ("gradient", grads), ("input_gradient", x.grad)])
    # The head alone: raw outputs spread wide (log-stds from -3 to 2, some far targets).
    gen = torch.Generator().manual_seed(2000)
    frames = 16
    out = (3 * torch.randn(frames, K * (1 + 2 * D), generator=gen)).requires_grad_()
    y = 2 * torch.randn(frames, D, generator=gen)
    frame = mixture_nll(out, y)
    frame.mean().backward()
    write("mdn", [("config", [K, D, FLOOR, frames]), ("outputs", out.detach()), ("targets", y),
                  ("frame_nll", frame.detach()), ("output_gradient", out.grad)])


if __name__ == "__main__":
    main()
