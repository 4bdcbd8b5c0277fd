/**
 * Where one training iteration's time goes, kernel by kernel (tf.profile), on the tfjs path:
 * `deno run -A bench/profile_iteration.ts W|M`. The per-kernel times behind the
 * wasm work of bench/README.md (scalar Tanh, SplitV, copies in Identity, matmuls) came from this.
 * The CPU engine runs no tfjs kernels per step, so this profiles the op-by-op path.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { batchLoss } from "../lib/rc/train.ts";
import { BATCH, workloadBatch, workloadModel, type WorkloadName, WORKLOADS } from "./_workloads.ts";

await initBackend("wasm");
const name = (Deno.args[0] ?? "W") as WorkloadName;
if (name !== "W" && name !== "M") throw new Error(`workload must be W or M: got ${Deno.args[0]}`);
const w = WORKLOADS[name];
const B = BATCH;
const batch = workloadBatch(name);
const model = workloadModel(name);
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
