/**
 * One training iteration (forward + backward + Adam) of the paper's App. E spiking network, the
 * LIF conv net of lib/models/lif_net.ts at its paper size (2 × conv3×3-32, FC 128, 10) and batch
 * (400), on 28 × 28 binary frames, through the tfjs path fit() takes (`batchLoss` under
 * `tf.variableGrads`, with the fused LIF kernel and the BLAS convolutions on wasm):
 * - EOS: the loss at the last of 10 steps (every step forward and back);
 * - RC at t_sp = 0: every example's first output spike at the first step (where the paper's
 *   trained models spike: App. E, Fig. 9A), so one step forward and back.
 * Iterations are seconds long: 2 timed after 1 warm-up (`n`, `warmup`).
 *
 *   deno bench -A bench/lif_bench.ts
 *   RC_BENCH_PYTORCH=1 deno bench -A bench/lif_bench.ts   (also runs bench/pytorch_lif.py with
 *     Debian's python3-torch first, same network and batch, and prints its ms per iteration)
 * Backend: `RC_BENCH_BACKEND` (wasm or cpu), default wasm.
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend.ts";
import type { SequenceBatch } from "../lib/data/batch.ts";
import { LifNet } from "../lib/models/lif_net.ts";
import { Rng } from "../lib/random.ts";
import { batchLoss } from "../lib/rc/train.ts";

const backend = (Deno.env.get("RC_BENCH_BACKEND") ?? "wasm") as BackendName;
if (backend === "webgpu") {
  throw new Error("lif_bench.ts times cpu/wasm (synchronous benches); webgpu has no dataSync");
}
await initBackend(backend, { quiet: true });

const B = 400, T = 10;
const rng = new Rng(1);
// About temporal MNIST's density: a pixel spikes once in 10 frames, ~20 % of pixels are ink.
const batch: SequenceBatch = {
  x: Float32Array.from({ length: T * B * 784 }, () => (rng.next() < 0.05 ? 1 : 0)),
  y: Int32Array.from({ length: B }, () => rng.int(10)),
  numSteps: T,
  batchSize: B,
  numFeatures: 784,
};
const model = new LifNet({ numOutputs: 10, seed: 1 });
const optimizer = tf.train.adam(1e-3);

/** One iteration with every example's loss at `lossStep`; synchronous (dataSync). */
function iteration(lossStep: number): void {
  const steps = new Int32Array(B).fill(lossStep);
  const { value, grads } = tf.variableGrads(
    () => batchLoss(model, batch, steps, { readout: "lif", beta: 0 }).loss,
    model.variables,
  );
  optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}

if (Deno.env.get("RC_BENCH_PYTORCH") === "1") {
  try {
    const out = new Deno.Command("/usr/bin/python3", {
      args: ["bench/pytorch_lif.py", "--iterations", "2"],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const text = new TextDecoder().decode(out.success ? out.stdout : out.stderr);
    const rows = text.split("\n").filter((l) => l.startsWith('{"model"'));
    console.log(
      out.success
        ? `PyTorch (bench/pytorch_lif.py, same network, batch ${B}):\n${rows.join("\n")}`
        : `pytorch: not run (${text.trim().split("\n").at(-1)})`,
    );
  } catch (e) {
    console.log(`pytorch: not run (${(e as Error).message}; apt-get install -y python3-torch)`);
  }
}

const group = `LIF conv net, batch ${B}, ${backend}`;
Deno.bench({
  name: `EOS training iteration, T = ${T}`,
  group,
  baseline: true,
  n: 2,
  warmup: 1,
  fn: () => iteration(T - 1),
});
Deno.bench({
  name: "RC training iteration, every t_sp = 0 (1 step)",
  group,
  n: 2,
  warmup: 1,
  fn: () => iteration(0),
});
