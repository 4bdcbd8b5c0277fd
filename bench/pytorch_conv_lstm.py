"""Reference timings for bench/conv_lstm.ts: one ConvLSTM training iteration (forward + backward
+ Adam) in PyTorch on CPU, batch 128, 28x28x1 binary frames, cross-entropy on the last step, for
ConvLSTM-20 3x3, ConvLSTM-20 5x5 and ConvLSTM-10 3x3, at T = 10 and at 1 step. The model is
lib/models/conv_lstm.ts's: one nn.Conv2d over cat(x, h) ('same' padding) giving gates i, f, g, o,
the LSTM cell, and nn.Linear over the flattened h.

    /usr/bin/python3 bench/pytorch_conv_lstm.py [--threads 2] [--iterations 3]
    /usr/bin/python3 bench/pytorch_conv_lstm.py --serve   (what bench/conv_lstm.ts runs: reads
        "HIDDEN K STEPS ITERATIONS" lines on stdin, times that cell, prints its JSON row, so the
        two sides can alternate cell by cell on the same machine)
"""
import argparse
import json
import sys
import time

import torch
from torch import nn


class ConvLstm(nn.Module):
    def __init__(self, hidden, k, outputs=10, size=28, channels=1):
        super().__init__()
        self.hidden, self.size = hidden, size
        self.conv = nn.Conv2d(channels + hidden, 4 * hidden, k, padding=k // 2)
        self.head = nn.Linear(hidden * size * size, outputs)

    def forward(self, frames):  # frames [T, B, 1, 28, 28]
        b = frames.shape[1]
        h = frames.new_zeros(b, self.hidden, self.size, self.size)
        c = torch.zeros_like(h)
        for x in frames:
            i, f, g, o = self.conv(torch.cat([x, h], 1)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.head(h.reshape(b, -1))


def time_cell(models, frames, y, hidden, k, steps, iterations):
    """ms per training iteration of one model at one length (one warm-up iteration first)."""
    if (hidden, k) not in models:
        model = ConvLstm(hidden, k)
        models[(hidden, k)] = (model, torch.optim.Adam(model.parameters(), lr=1e-3))
    model, opt = models[(hidden, k)]

    def iteration():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(frames[:steps]), y)
        loss.backward()
        opt.step()

    iteration()
    began = time.perf_counter()
    for _ in range(iterations):
        iteration()
    ms = (time.perf_counter() - began) * 1000 / iterations
    return dict(model="ConvLSTM-%d %dx%d" % (hidden, k, k), batch=frames.shape[1], steps=steps,
                msPerIteration=round(ms, 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    B = 128
    frames = (torch.rand(10, B, 1, 28, 28) < 0.2).float()
    y = torch.randint(0, 10, (B,))
    models = {}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    if args.serve:
        for line in sys.stdin:
            if not line.strip():
                continue
            hidden, k, steps, iterations = (int(v) for v in line.split())
            print(json.dumps(time_cell(models, frames, y, hidden, k, steps, iterations)),
                  flush=True)
        return
    for hidden, k in ((20, 3), (20, 5), (10, 3)):
        for steps in (10, 1):
            row = time_cell(models, frames, y, hidden, k, steps, args.iterations)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
