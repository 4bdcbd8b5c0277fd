/**
 * The realised saving of RC training on the sequence-spotting task with a model that has learned
 * to spike: trains the spotting LSTM (1-125-1, θ = 0.95) for `--batches` batches with the CPU
 * trainer, then times one training step's loss and gradients (the CPU engine) over the same 20
 * batches in three modes, interleaved with a rotating order: RC (spikes found at θ), the same loss
 * steps given, and EOS. Prints each mode's ms, the step and wall savings and their ratio, and the
 * histogram of loss steps. Needs wasm with BLAS.
 *
 *   deno run -A bench/spotting_ratio.ts [--batches 3000]
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend } from "../lib/backend.ts";
import { spottingBatch } from "../lib/data/toy.ts";
import { Lstm } from "../lib/models/lstm.ts";
import { Rng } from "../lib/random.ts";
import { nativeAvailable, nativeLossAndGrads } from "../lib/accel/cpu_engine.ts";
import { CpuTrainer } from "../lib/accel/cpu_trainer.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { batches: { type: "string", default: "3000" } },
});
await initBackend("wasm", { quiet: true });
if (!nativeAvailable()) {
  console.error("bench/spotting_ratio.ts needs the CPU engine (wasm with a BLAS library).");
  Deno.exit(1);
}
const B = 128;
const model = new Lstm({ numInputs: 1, hiddenSize: 125, numOutputs: 1, seed: 1 });
const trainer = new CpuTrainer(model, 3e-4);
const rng = new Rng(1);
const rc = { readout: "binary" as const, beta: 0, threshold: 0.95 };
for (let i = 0; i < Number(values.batches); i++) trainer.step(spottingBatch(rng, B), rc);
trainer.syncToModel();

const batches = Array.from({ length: 20 }, () => spottingBatch(rng, B));
const T = batches[0].numSteps;
const stepsOf = batches.map((b) => nativeLossAndGrads(model, b, rc).steps);
const needed = stepsOf.reduce((n, st) => n + st.reduce((s, x) => s + x + 1, 0), 0);
const modes = ["rc", "given", "eos"] as const;
const ms = { rc: 0, given: 0, eos: 0 };
const rounds = 6;
for (let r = 0; r < rounds; r++) {
  batches.forEach((b, i) => {
    for (let k = 0; k < modes.length; k++) {
      const m = modes[(r + i + k) % modes.length];
      const steps = m === "given" ? stepsOf[i] : new Int32Array(B).fill(T - 1);
      const began = performance.now();
      nativeLossAndGrads(model, b, m === "rc" ? rc : { readout: "binary", beta: 0, steps });
      ms[m] += performance.now() - began;
    }
  });
}
const n = rounds * batches.length;
const stepSaving = 1 - needed / (batches.length * B * T);
console.log(`spotting LSTM after ${values.batches} batches; loss and gradients, ms per batch:`);
for (const m of modes) {
  const wall = 1 - ms[m] / ms.eos;
  console.log(
    `${m}: ${(ms[m] / n).toFixed(2)}` +
      (m === "eos"
        ? ""
        : `; step saving ${(100 * stepSaving).toFixed(1)} %, wall saving ${
          (100 * wall).toFixed(1)
        } %, realised ratio ${(wall / stepSaving).toFixed(2)}`),
  );
}
const hist = new Array(T).fill(0);
for (const st of stepsOf) st.forEach((s) => hist[s]++);
console.log(`loss steps (count per step 0..${T - 1}): ${hist.join(" ")}`);
