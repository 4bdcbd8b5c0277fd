"""Reference timings for the speed issue: one LSTM training iteration (forward + backward +
Adam) in PyTorch, for the same workloads as bench/lstm_iteration.ts (toy, W, M), EOS (all T
steps) and RC at a fixed first spike (the first rc_fraction*T steps), on CUDA (cuDNN) or CPU.

    python3 bench/pytorch_lstm.py [--device cuda] [--iterations 20] [--rc-fraction 0.35]

Both the fused cuDNN sequence LSTM and a step-at-a-time LSTMCell loop (what RC's halting
needs) are timed. Prints one JSON object.
"""
import argparse
import json
import time

import torch
from torch import nn

WORKLOADS = {
    "toy": dict(F=1, H=125, hidden=[], O=1, T=40),
    "W": dict(F=20, H=128, hidden=[32], O=11, T=81),
    "M": dict(F=784, H=340, hidden=[], O=10, T=10),
}


def readout(h, hidden, o):
    sizes = [h, *hidden, o]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--rc-fraction", type=float, default=0.35)
    args = ap.parse_args()
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    out = {"torch": torch.__version__, "device": str(dev),
           "name": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu", "results": []}
    B = 128
    for name, w in WORKLOADS.items():
        torch.manual_seed(1)
        x = torch.randn(w["T"], B, w["F"], device=dev)
        y = torch.randint(0, max(2, w["O"]), (B,), device=dev)
        for style in ("cudnn-sequence", "step-loop"):
            lstm = nn.LSTM(w["F"], w["H"]).to(dev) if style == "cudnn-sequence" else nn.LSTMCell(w["F"], w["H"]).to(dev)
            head = readout(w["H"], w["hidden"], w["O"]).to(dev)
            opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
            for mode in ("eos", "rc"):
                steps = w["T"] if mode == "eos" else max(1, round(args.rc_fraction * w["T"]))

                def iteration():
                    opt.zero_grad(set_to_none=True)
                    if style == "cudnn-sequence":
                        hs, _ = lstm(x[:steps])
                        h = hs[-1]
                    else:
                        h = torch.zeros(B, w["H"], device=dev)
                        c = torch.zeros(B, w["H"], device=dev)
                        for t in range(steps):
                            h, c = lstm(x[t], (h, c))
                    logits = head(h)
                    if w["O"] == 1:
                        loss = nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.float())
                    else:
                        loss = nn.functional.cross_entropy(logits, y)
                    loss.backward()
                    opt.step()

                for _ in range(3):
                    iteration()
                sync()
                began = time.perf_counter()
                for _ in range(args.iterations):
                    iteration()
                sync()
                ms = (time.perf_counter() - began) * 1000 / args.iterations
                out["results"].append(dict(workload=name, style=style, mode=mode, stepsRun=steps,
                                           T=w["T"], msPerIteration=ms))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
