"""PyTorch reference for bench/kws.ts: training throughput (clips per second) of the keyword
model (LSTM 20-128, ReLU readout 32, 11 classes, T = 81, batch 128) with Adam and gradient
clipping (global norm 0.25), on the CPU, EOS and RC.

    python3 bench/pytorch_kws.py --rc-steps 3,40,80,... [--iterations 3] [--threads 2]

EOS: the loss at the last step, as one nn.LSTM call over the sequence and as an LSTMCell loop.
RC: an LSTMCell loop in which each example takes its loss at its own step (`--rc-steps`, 0-based,
one per example: the first spikes bench/kws.ts measured for its model) and leaves the batch: the
examples are sorted by step, latest first, so the active ones are a prefix (h[:n], c[:n]); the
loop stops at the last example's step. Spike finding itself is not timed (the steps are given).
Prints one JSON object; clips per second at the median iteration.
"""
import argparse
import json
import time

import torch
from torch import nn

F, H, HIDDEN, O, T, B = 20, 128, 32, 11, 81, 128


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rc-steps", required=True, help="comma-separated 0-based loss steps, one per example")
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    steps = [int(s) for s in args.rc_steps.split(",")]
    if len(steps) != B or not all(0 <= s < T for s in steps):
        raise SystemExit(f"--rc-steps: need {B} steps in 0..{T - 1}, got {len(steps)}")
    torch.manual_seed(1)
    x = torch.randn(T, B, F)
    y = torch.randint(0, O, (B,))
    order = sorted(range(B), key=lambda b: -steps[b])
    rc_x = x[:, order]
    rc_y = y[order]
    rc_steps = torch.tensor([steps[b] for b in order])
    # Active examples at step t: those whose loss step is >= t (a prefix, sorted latest first).
    active = [int((rc_steps >= t).sum()) for t in range(T)]

    def head():
        return nn.Sequential(nn.Linear(H, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, O))

    ce = nn.CrossEntropyLoss(reduction="sum")
    results = []
    for mode in ("eos-sequence", "eos-loop", "rc-loop"):
        torch.manual_seed(1)
        lstm = nn.LSTM(F, H) if mode == "eos-sequence" else nn.LSTMCell(F, H)
        readout = head()
        params = list(lstm.parameters()) + list(readout.parameters())
        opt = torch.optim.Adam(params, lr=0.0)
        computed = [0]

        def iteration():
            opt.zero_grad(set_to_none=True)
            if mode == "eos-sequence":
                hs, _ = lstm(x)
                loss = ce(readout(hs[-1]), y) / B
                computed[0] += T * B
            elif mode == "eos-loop":
                h = torch.zeros(B, H)
                c = torch.zeros(B, H)
                for t in range(T):
                    h, c = lstm(x[t], (h, c))
                loss = ce(readout(h), y) / B
                computed[0] += T * B
            else:
                h = torch.zeros(B, H)
                c = torch.zeros(B, H)
                loss = 0.0
                for t in range(int(rc_steps.max()) + 1):
                    n = active[t]
                    h, c = lstm(rc_x[t, :n], (h[:n], c[:n]))
                    computed[0] += n
                    done = n - (active[t + 1] if t + 1 < T else 0)
                    if done:
                        loss = loss + ce(readout(h[n - done:n]), rc_y[n - done:n])
                loss = loss / B
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 0.25)
            opt.step()

        iteration()  # warm-up
        computed[0] = 0
        times = []
        for _ in range(args.iterations):
            began = time.perf_counter()
            iteration()
            times.append(time.perf_counter() - began)
        median = sorted(times)[len(times) // 2]
        results.append({
            "mode": mode,
            "msPerIteration": 1000 * sum(times) / len(times),
            "medianMs": 1000 * median,
            "clipsPerSecond": B / median,
            "meanSteps": computed[0] / (B * args.iterations),
        })
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "iterations": args.iterations,
        "results": results,
    }))


if __name__ == "__main__":
    main()
