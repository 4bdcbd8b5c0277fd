"""Reference timings for bench/lif_bench.ts: one training iteration (forward + backward + Adam) of
the paper's App. E spiking network in PyTorch on CPU: Wu et al. (2018)'s LIF conv net (STBP,
rectangular surrogate) as lib/models/lif_net.ts has it: conv3x3-32 'same', 2x2 average pooling,
conv3x3-32, pooling, FC 128, FC 10, every layer LIF (tau 0.2, V_th 0.5, surrogate half-width 0.5),
batch 400, 28x28 binary frames, softmax cross-entropy on the output membrane potentials at the
last step (EOS), at T = 10 and at 1 step (RC with every first spike at the first step).

    /usr/bin/python3 bench/pytorch_lif.py [--threads 2] [--iterations 2] [--steps 10,1]
"""
import argparse
import json
import time

import torch
from torch import nn
import torch.nn.functional as F

THRESH, DECAY, WIDTH = 0.5, 0.2, 0.5


class Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u):
        ctx.save_for_backward(u)
        return (u >= THRESH).float()

    @staticmethod
    def backward(ctx, grad):
        (u,) = ctx.saved_tensors
        return grad * ((u - THRESH).abs() < WIDTH).float()


def lif(z, u, o):
    u = u * DECAY * (1.0 - o) + z
    return u, Spike.apply(u)


class LifNet(nn.Module):
    def __init__(self, channels=32, hidden=128, outputs=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.fc1 = nn.Linear(7 * 7 * channels, hidden)
        self.fc2 = nn.Linear(hidden, outputs)
        self.channels, self.hidden, self.outputs = channels, hidden, outputs

    def forward(self, frames):  # [T, B, 1, 28, 28]
        b = frames.shape[1]
        c = self.channels
        s = [frames.new_zeros(b, c, 28, 28), frames.new_zeros(b, c, 14, 14),
             frames.new_zeros(b, self.hidden), frames.new_zeros(b, self.outputs)]
        u = list(s)
        o = [torch.zeros_like(t) for t in s]
        for x in frames:
            u[0], o[0] = lif(self.conv1(x), u[0], o[0])
            u[1], o[1] = lif(self.conv2(F.avg_pool2d(o[0], 2)), u[1], o[1])
            u[2], o[2] = lif(self.fc1(F.avg_pool2d(o[1], 2).reshape(b, -1)), u[2], o[2])
            u[3], o[3] = lif(self.fc2(o[2]), u[3], o[3])
        return u[3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--steps", default="10,1")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    B = 400
    frames = (torch.rand(10, B, 1, 28, 28) < 0.05).float()
    y = torch.randint(0, 10, (B,))
    model = LifNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "results": []}
    for steps in [int(s) for s in args.steps.split(",")]:
        def iteration():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(frames[:steps]), y)
            loss.backward()
            opt.step()

        iteration()
        began = time.perf_counter()
        for _ in range(args.iterations):
            iteration()
        ms = (time.perf_counter() - began) * 1000 / args.iterations
        row = dict(model="LIF conv net", batch=B, steps=steps, msPerIteration=round(ms, 1))
        out["results"].append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
