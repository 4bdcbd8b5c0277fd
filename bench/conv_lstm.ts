/**
 * ms per ConvLSTM training iteration (forward + backward + Adam) on temporal-MNIST-sized input:
 * batch 128, 28x28x1 binary frames, softmax cross-entropy on the last step's logits (EOS), for
 * ConvLSTM-20 3x3, ConvLSTM-20 5x5 and ConvLSTM-10 3x3, at T = 10 and at 1 step. The PyTorch
 * reference is bench/pytorch_conv_lstm.py (same model, nn.Conv2d, CPU).
 *
 *   deno run -A bench/conv_lstm.ts [--backend wasm] [--iterations 3] [--models 20x3,20x5,10x3]
 *   [--steps 10,1] [--profile]   (--profile: tf.profile of one iteration, time per kernel)
 *   [--pytorch]   (also times bench/pytorch_conv_lstm.py with Debian's python3-torch, same models,
 *                  cell by cell, the two sides alternating who goes first, and prints our ratio)
 *   [--repeats 3] [--quiet-below 0.5] [--max-wait 240]   (before each repeat, wait up to
 *                  max-wait s for the 1-minute load to fall under quiet-below; a repeat counts
 *                  only where the load is under 1.5 before and after it; the summary gives every
 *                  repeat's ratio and the median of those that count)
 *   RC_BLAS=off: tfjs-wasm's own matmul and convolutions (the JS im2col filter gradient)
 *   [--helper-off-too]   (also times ours without the helper thread, lib/ops/blas_helper.ts, right
 *                  after: the op's products on OpenBLAS's own threads, as before the helper)
 *   RC_BLAS_HELPER=off: no helper thread at all
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend.ts";
import { ConvLstm } from "../lib/models/conv_lstm.ts";
import { conv2dTimes, resetConv2dTimes } from "../lib/ops/conv2d.ts";
import { convLstmCellTimes, resetConvLstmCellTimes } from "../lib/ops/conv_lstm_cell.ts";
import { blasHelper, setBlasHelperEnabled } from "../lib/ops/blas_helper.ts";
import { CONV_BATCH, convLstmInputs, convLstmIteration } from "./_conv_lstm_workload.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "wasm" },
    iterations: { type: "string", default: "3" },
    models: { type: "string", default: "20x3,20x5,10x3" },
    steps: { type: "string", default: "10,1" },
    profile: { type: "boolean", default: false },
    pytorch: { type: "boolean", default: false },
    repeats: { type: "string", default: "1" },
    "quiet-below": { type: "string", default: "0.5" },
    "max-wait": { type: "string", default: "240" },
    "helper-off-too": { type: "boolean", default: false },
  },
});
/** The 1-, 5- and 15-minute load averages, or null where /proc/loadavg is missing. */
function readLoad(): string[] | null {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3);
  } catch {
    return null;
  }
}

/** The machine's 1-minute load average, or null where it cannot be read. */
function loadNow(): number | null {
  const load = readLoad();
  return load ? Number(load[0]) : null;
}

/** Prints the load averages; returns the 1-minute one (a figure counts only under 1.5). */
function loadAverage(when: string): number | null {
  const load = readLoad();
  console.log(
    load
      ? `load average ${when}: ${load.join(", ")} (1, 5, 15 min)`
      : `load average ${when}: unknown (no /proc/loadavg)`,
  );
  return load ? Number(load[0]) : null;
}

/**
 * Waits (up to `maxWaitS`) for the 1-minute load to fall under `below`: the previous repeat's own
 * two threads leave it near 1.5, and a repeat that starts there ends above the evidence line.
 */
async function settle(below: number, maxWaitS: number): Promise<void> {
  const began = performance.now();
  let load = loadNow();
  if (load === null || load < below) return;
  console.log(`waiting for the 1-minute load (${load}) to fall under ${below} ...`);
  while (load !== null && load >= below && performance.now() - began < maxWaitS * 1000) {
    await new Promise((r) => setTimeout(r, 5000));
    load = loadNow();
  }
  const s = ((performance.now() - began) / 1000).toFixed(0);
  console.log(`  waited ${s} s; load ${load}${load !== null && load >= below ? " (gave up)" : ""}`);
}

/** PyTorch on the same machine, one cell per request (bench/pytorch_conv_lstm.py --serve). */
class PyTorchSide {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = readLines(child.stdout);
  }

  /** Starts the server; null (with the reason printed) where Debian's python3-torch is missing. */
  static async start(): Promise<PyTorchSide | null> {
    const python = "/usr/bin/python3"; // Debian's, where python3-torch installs
    try {
      const child = new Deno.Command(python, {
        args: ["bench/pytorch_conv_lstm.py", "--serve"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const side = new PyTorchSide(child);
      const hello = await side.#lines.next();
      if (hello.done) {
        const err = new TextDecoder().decode((await child.output()).stderr).trim();
        console.log(
          `pytorch: not run (${err.split("\n").at(-1)}; apt-get install -y python3-torch)`,
        );
        return null;
      }
      console.log(`pytorch: ${hello.value}`);
      return side;
    } catch (e) {
      console.log(`pytorch: not run (${(e as Error).message}; apt-get install -y python3-torch)`);
      return null;
    }
  }

  /** ms per iteration of ConvLSTM-hidden kxk at T steps, `n` timed iterations after a warm-up. */
  async time(hidden: number, k: number, T: number, n: number): Promise<number> {
    await this.#writer.write(new TextEncoder().encode(`${hidden} ${k} ${T} ${n}\n`));
    const line = await this.#lines.next();
    if (line.done) throw new Error("pytorch_conv_lstm.py --serve ended early");
    return (JSON.parse(line.value) as { msPerIteration: number }).msPerIteration;
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}

/** The lines of a byte stream. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered) yield buffered;
}

const info = await initBackend(values.backend as BackendName);
const iterations = Number(values.iterations);
const repeats = Number(values.repeats);
const B = CONV_BATCH;
const stepList = values.steps!.split(",").map(Number);
const inputs = convLstmInputs(Math.max(...stepList));
const torchSide = values.pytorch ? await PyTorchSide.start() : null;

/** Per cell ("ConvLSTM-20 3x3, T=10"), per repeat: ours, PyTorch's ms and whether it counts. */
const rows = new Map<
  string,
  { ours: number; oursOff: number | null; torch: number | null; evidence: boolean }[]
>();
for (let r = 0; r < repeats; r++) {
  if (repeats > 1) console.log(`## repeat ${r + 1} of ${repeats}`);
  await settle(Number(values["quiet-below"]), Number(values["max-wait"]));
  const before = loadAverage("before");
  const cells: { key: string; ours: number; oursOff: number | null; torch: number | null }[] = [];
  for (const spec of values.models!.split(",")) {
    const [hidden, k] = spec.split("x").map(Number);
    const model = new ConvLstm({ hiddenChannels: hidden, kernelSize: k, numOutputs: 10, seed: 1 });
    const optimizer = tf.train.adam(1e-3);
    for (const T of stepList) {
      const iteration = () => convLstmIteration(model, optimizer, inputs, T);
      const timeOurs = async () => {
        await iteration(); // warm-up: heap growth, Adam's slots
        if (values.profile && r === 0) await profileOnce(iteration, hidden, k, T);
        const began = performance.now();
        for (let i = 0; i < iterations; i++) await iteration();
        return (performance.now() - began) / iterations;
      };
      // The two sides alternate who goes first, cell by cell and repeat by repeat, so a drift of
      // the machine's speed within a repeat does not favour one of them.
      const torchFirst = (cells.length + r) % 2 === 1;
      let torch: number | null = null;
      if (torchSide && torchFirst) torch = await torchSide.time(hidden, k, T, iterations);
      const ours = await timeOurs();
      let oursOff: number | null = null;
      if (values["helper-off-too"] && blasHelper()) {
        setBlasHelperEnabled(false);
        try {
          oursOff = await timeOurs();
        } finally {
          setBlasHelperEnabled(true);
        }
      }
      if (torchSide && !torchFirst) torch = await torchSide.time(hidden, k, T, iterations);
      const key = `ConvLSTM-${hidden} ${k}x${k}, T=${T}`;
      cells.push({ key, ours, oursOff, torch });
      const gflop = 3 * model.flopsPerStep() * B * T / 1e9;
      console.log(
        `${info.backend}${info.blas ? "+blas" : ""} ${key}, batch ${B}: ${ours.toFixed(0)} ms/` +
          `iteration (${gflop.toFixed(1)} GFLOP, ${(gflop / (ours / 1000)).toFixed(1)} GFLOP/s)` +
          (oursOff === null ? "" : `; without the helper ${oursOff.toFixed(0)} ms`) +
          (torch === null ? "" : `; PyTorch ${torch.toFixed(0)} ms: ${(ours / torch).toFixed(2)}x`),
      );
    }
    tf.dispose(model.variables);
    optimizer.dispose();
  }
  const after = loadAverage("after");
  const evidence = before !== null && after !== null && before < 1.5 && after < 1.5;
  console.log(
    evidence ? "this repeat counts (load under 1.5 before and after)" : "this repeat is not " +
      "evidence: the load average was 1.5 or more (or unknown) before or after",
  );
  for (const c of cells) {
    rows.set(c.key, [...(rows.get(c.key) ?? []), { ...c, evidence }]);
  }
}
tf.dispose([...inputs.frames, inputs.labels]);
await torchSide?.close();
if (torchSide) summary();

/** The median of `xs` (null when empty). */
function median(xs: number[]): number | null {
  const v = [...xs].sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** Every repeat's ratio per cell, and the median of those that count (with and without helper). */
function summary(): void {
  console.log(
    "\nmodel, steps: ours ms / PyTorch ms (ratio) per repeat ['-': load over 1.5; 'off': ours " +
      "without the helper thread] | median ratio of the repeats that count",
  );
  for (const [key, reps] of rows) {
    const counted = reps.filter((x) => x.evidence && x.torch);
    const on = median(counted.map((x) => x.ours / x.torch!));
    const offRatios = counted.filter((x) => x.oursOff !== null).map((x) => x.oursOff! / x.torch!);
    const off = median(offRatios);
    const each = reps.map((x) =>
      `${x.ours.toFixed(0)} / ${x.torch?.toFixed(0)} (${(x.ours / x.torch!).toFixed(2)}x` +
      (x.oursOff === null
        ? ""
        : `; off ${x.oursOff.toFixed(0)}, ${(x.oursOff / x.torch!).toFixed(2)}x`) +
      `)${x.evidence ? "" : " -"}`
    );
    console.log(
      `${key}: ${each.join("; ")} | ${
        on === null ? "no repeat counts" : `${on.toFixed(2)}x of ${counted.length}`
      }${off === null ? "" : `; without the helper ${off.toFixed(2)}x`}`,
    );
  }
}

/** tf.profile of one iteration: time per kernel and the two conv ops' phases. */
async function profileOnce(iteration: () => Promise<void>, hidden: number, k: number, T: number) {
  resetConv2dTimes();
  resetConvLstmCellTimes();
  const p = await tf.profile(iteration);
  const byKernel = new Map<string, number>();
  for (const kernel of p.kernels) {
    byKernel.set(kernel.name, (byKernel.get(kernel.name) ?? 0) + (kernel.kernelTimeMs as number));
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  console.log(`profile ConvLSTM-${hidden} ${k}x${k}, T=${T}: kernels ${total.toFixed(0)} ms`);
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`  ${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms`);
  }
  const c = conv2dTimes;
  console.log(
    `  conv kernels (lib/ops/conv2d.ts, ${c.calls} calls): windows ${c.windowsMs.toFixed(0)} ms, ` +
      `sgemm ${c.gemmMs.toFixed(0)} ms, copies ${c.copyMs.toFixed(0)} ms`,
  );
  const s = convLstmCellTimes;
  console.log(
    `  one-op steps (lib/ops/conv_lstm_cell.ts, ${s.calls} forward calls): ` +
      `im2col/col2im ${s.im2colMs.toFixed(0)} ms, sgemm ` +
      `${s.gemmMs.toFixed(0)} ms${
        blasHelper() ? " (with the helper: waiting for it or helping)" : ""
      }, ` +
      `cell ${s.cellMs.toFixed(0)} ms (this thread's time)`,
  );
}
