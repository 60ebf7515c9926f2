"""Which kernels PyTorch's CPU nn.LSTM and nn.GRU run at the paper's sizes (one training step,
T = 100, 16 rows, one thread): the autograd profiler's RNN op names. On this project's
machines nn.LSTM runs oneDNN's fused layer (aten::mkldnn_rnn_layer) and nn.GRU does not
(aten::gru): why PyTorch's LSTM costs half its GRU (docs/PERFORMANCE.md, "Why the LSTM stops
near 2x").
    $(tools/reference-env torch) tools/torch-rnn-paths.py
"""
import torch

torch.set_num_threads(1)
for name, module, units in (("LSTM-195", torch.nn.LSTM, 195), ("GRU-227", torch.nn.GRU, 227)):
    rnn = module(20, units)
    with torch.autograd.profiler.profile() as prof:
        out, _ = rnn(torch.randn(100, 16, 20))
        out.sum().backward()
    ops = sorted({e.name for e in prof.function_events if e.name.startswith("aten::") and
                  any(k in e.name for k in ("rnn", "lstm", "gru"))})
    print(f"{name}: {', '.join(ops)}")
