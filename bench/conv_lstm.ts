/**
 * ms per ConvLSTM training iteration (forward + backward + Adam) on temporal-MNIST-sized input:
 * batch 128, 28x28x1 binary frames, softmax cross-entropy on the last step's logits (EOS), for
 * ConvLSTM-20 3x3, ConvLSTM-20 5x5 and ConvLSTM-10 3x3, at T = 10 and at 1 step. The PyTorch
 * reference is bench/pytorch_conv_lstm.py (same model, nn.Conv2d, CPU).
 *
 *   deno run -A bench/conv_lstm.ts [--backend wasm] [--iterations 3] [--models 20x3,20x5,10x3]
 *   [--steps 10,1] [--profile]   (--profile: tf.profile of one iteration, time per kernel)
 *   [--pytorch]   (also runs bench/pytorch_conv_lstm.py with Debian's python3-torch, same models,
 *                  and prints both side by side: ms per iteration, examples/s and our ratio)
 *   RC_BLAS=off: tfjs-wasm's own matmul and convolutions (the JS im2col filter gradient)
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend.ts";
import { ConvLstm } from "../lib/models/conv_lstm.ts";
import { conv2dTimes, resetConv2dTimes } from "../lib/ops/conv2d.ts";
import { convLstmCellTimes, resetConvLstmCellTimes } from "../lib/ops/conv_lstm_cell.ts";
import { Rng } from "../lib/random.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "wasm" },
    iterations: { type: "string", default: "3" },
    models: { type: "string", default: "20x3,20x5,10x3" },
    steps: { type: "string", default: "10,1" },
    profile: { type: "boolean", default: false },
    pytorch: { type: "boolean", default: false },
  },
});
/** The machine's load averages (a figure counts only when they stay under 1.5). */
function loadAverage(when: string): void {
  try {
    const [one, five, fifteen] = Deno.readTextFileSync("/proc/loadavg").split(" ");
    console.log(`load average ${when}: ${one}, ${five}, ${fifteen} (1, 5, 15 min)`);
  } catch {
    console.log(`load average ${when}: unknown (no /proc/loadavg)`);
  }
}
loadAverage("before");
const info = await initBackend(values.backend as BackendName);
const iterations = Number(values.iterations);
const B = 128;
const rng = new Rng(1);
const maxSteps = Math.max(...values.steps!.split(",").map(Number));
const frames = Array.from(
  { length: maxSteps },
  () =>
    tf.tensor2d(Float32Array.from({ length: B * 784 }, () => (rng.next() < 0.2 ? 1 : 0)), [B, 784]),
);
const labels = tf.oneHot(tf.tensor1d(Array.from({ length: B }, () => rng.int(10)), "int32"), 10);

/** Ours, per "model|steps": ms per iteration. */
const ours = new Map<string, number>();
for (const spec of values.models!.split(",")) {
  const [hidden, k] = spec.split("x").map(Number);
  const model = new ConvLstm({ hiddenChannels: hidden, kernelSize: k, numOutputs: 10, seed: 1 });
  const optimizer = tf.train.adam(1e-3);
  for (const T of values.steps!.split(",").map(Number)) {
    const iteration = async () => {
      const { value, grads } = tf.variableGrads(() => {
        let state = model.initialState(B);
        let logits: tf.Tensor2D | null = null;
        for (let t = 0; t < T; t++) ({ state, logits } = model.step(state, frames[t]));
        return tf.losses.softmaxCrossEntropy(labels, logits!) as tf.Scalar;
      }, model.variables);
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    };
    await iteration(); // warm-up: heap growth, Adam's slots
    if (values.profile) {
      resetConv2dTimes();
      resetConvLstmCellTimes();
      const p = await tf.profile(iteration);
      const byKernel = new Map<string, number>();
      for (const kernel of p.kernels) {
        byKernel.set(
          kernel.name,
          (byKernel.get(kernel.name) ?? 0) + (kernel.kernelTimeMs as number),
        );
      }
      const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
      console.log(`profile ConvLSTM-${hidden} ${k}x${k}, T=${T}: kernels ${total.toFixed(0)} ms`);
      for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
        console.log(`  ${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms`);
      }
      const c = conv2dTimes;
      console.log(
        `  conv kernels (lib/ops/conv2d.ts, ${c.calls} calls): windows ${
          c.windowsMs.toFixed(0)
        } ms, ` +
          `sgemm ${c.gemmMs.toFixed(0)} ms, copies ${c.copyMs.toFixed(0)} ms`,
      );
      const s = convLstmCellTimes;
      console.log(
        `  one-op steps (lib/ops/conv_lstm_cell.ts, ${s.calls} forward calls): ` +
          `im2col/col2im ${s.im2colMs.toFixed(0)} ms, sgemm ` +
          `${s.gemmMs.toFixed(0)} ms, cell ${s.cellMs.toFixed(0)} ms`,
      );
    }
    const began = performance.now();
    for (let i = 0; i < iterations; i++) await iteration();
    const ms = (performance.now() - began) / iterations;
    const gflop = 3 * model.flopsPerStep() * B * T / 1e9;
    ours.set(`ConvLSTM-${hidden} ${k}x${k}|${T}`, ms);
    console.log(
      `${info.backend}${
        info.blas ? "+blas" : ""
      } ConvLSTM-${hidden} ${k}x${k} batch ${B} T=${T}: ` +
        `${ms.toFixed(0)} ms/iteration (${gflop.toFixed(1)} GFLOP, ` +
        `${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s)`,
    );
  }
  tf.dispose(model.variables);
  optimizer.dispose();
}
tf.dispose([...frames, labels]);

if (values.pytorch) await sideBySide();
loadAverage("after");

/** PyTorch on the same machine in the same command, joined with ours. */
async function sideBySide(): Promise<void> {
  const python = "/usr/bin/python3"; // Debian's, where python3-torch installs
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: ["bench/pytorch_conv_lstm.py", "--iterations", String(iterations)],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    console.log(`pytorch: not run (${(e as Error).message}; apt-get install -y python3-torch)`);
    return;
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    console.log(`pytorch: not run (${err}; apt-get install -y python3-torch)`);
    return;
  }
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const rows = lines.filter((l) => l.startsWith('{"model"')).map((l) =>
    JSON.parse(l) as { model: string; steps: number; msPerIteration: number }
  );
  console.log("\nmodel, steps: ours ms | PyTorch ms | ratio | examples/s ours, PyTorch");
  for (const r of rows) {
    const mine = ours.get(`${r.model}|${r.steps}`);
    if (mine === undefined) continue;
    console.log(
      `${r.model}, T=${r.steps}: ${mine.toFixed(0)} | ${r.msPerIteration.toFixed(0)} | ` +
        `${(mine / r.msPerIteration).toFixed(2)}x | ${(B / (mine / 1000)).toFixed(0)}, ${
          (B / (r.msPerIteration / 1000)).toFixed(0)
        }`,
    );
  }
}
