/**
 * Where one training iteration's time goes, kernel by kernel (tf.profile), on the tfjs path:
 * `deno run -A bench/profile_iteration.ts W|M`. The per-kernel times behind the
 * wasm work of bench/README.md (scalar Tanh, SplitV, copies in Identity, matmuls) came from this.
 * The CPU engine runs no tfjs kernels per step, so this profiles the op-by-op path.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { Lstm } from "../lib/models/lstm.ts";
import { Rng } from "../lib/random.ts";
import { batchLoss } from "../lib/rc/train.ts";

await initBackend("wasm");
const WORKLOADS = {
  W: { F: 20, H: 128, hidden: [32], O: 11, T: 81 },
  M: { F: 784, H: 340, hidden: [], O: 10, T: 10 },
} as const;
const name = (Deno.args[0] ?? "W") as keyof typeof WORKLOADS;
const w = WORKLOADS[name];
if (!w) throw new Error(`workload must be W or M: got ${Deno.args[0]}`);
const B = 128;
const rng = new Rng(1);
const batch = {
  x: Float32Array.from({ length: w.T * B * w.F }, () => rng.normal()),
  y: Int32Array.from({ length: B }, () => rng.int(w.O)),
  numSteps: w.T,
  batchSize: B,
  numFeatures: w.F,
};
const model = new Lstm({
  numInputs: w.F,
  hiddenSize: w.H,
  readoutHidden: [...w.hidden],
  numOutputs: w.O,
  seed: 1,
});
const steps = new Int32Array(B).fill(w.T - 1);
const iteration = () => {
  const { value, grads } = tf.variableGrads(
    () => batchLoss(model, batch, steps, { readout: "softmax", beta: 0 }).loss,
    model.variables,
  );
  tf.dispose([value, grads]);
};
for (let r = 0; r < 3; r++) iteration();
const profile = await tf.profile(iteration);
const byKernel = new Map<string, { calls: number; ms: number }>();
let total = 0;
for (const k of profile.kernels) {
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const entry = byKernel.get(key) ?? { calls: 0, ms: 0 };
  entry.calls++;
  entry.ms += k.kernelTimeMs as number;
  total += k.kernelTimeMs as number;
  byKernel.set(key, entry);
}
console.log(`${name}: ${profile.kernels.length} kernels, ${total.toFixed(1)} ms in kernels`);
for (const [key, { calls, ms }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`${ms.toFixed(1).padStart(8)} ms ${String(calls).padStart(5)} calls  ${key}`);
}
