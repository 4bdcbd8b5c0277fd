/**
 * ms per LSTM training iteration (forward + backward + Adam), EOS and RC, and GFLOP/s, for the
 * workloads of the speed issue, on one backend:
 *   W: batch 128, input 20, hidden 128, T = 81 (readout 32, 11 classes);
 *   M: batch 128, input 784, hidden 340, T = 10 (10 classes);
 *   toy: batch 128, input 1, hidden 125, T = 40 (one sigmoid output).
 * RC runs at a fixed first spike t_sp for every example (`--rc-fraction` of T), and "spread" with
 * first spikes spread evenly over the T steps (examples leave the batch as they take their loss,
 * as in RC training), so the step saving is known and the realised saving can be read off.
 *
 *   deno run -A bench/lstm_iteration.ts --backend webgpu [--iterations 10] [--json]
 *   [--fused-cell false] [--engine false]   (wasm: the CPU engine of lib/accel/cpu_engine.ts)
 *   [--trainer false]   (wasm: tfjs's Adam instead of the CPU trainer's, lib/accel/cpu_trainer.ts)
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend.ts";
import "../lib/accel/register.ts"; // the accelerators the path chooser picks from
import { engineModel, setNativeEnabled } from "../lib/accel/cpu_engine.ts";
import { CpuTrainer } from "../lib/accel/cpu_trainer.ts";
import { lossAndGrads } from "../lib/rc/train.ts";
import { BATCH, workloadBatch, workloadModel, type WorkloadName, WORKLOADS } from "./_workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "auto" },
    iterations: { type: "string", default: "10" },
    "rc-fraction": { type: "string", default: "0.35" },
    workloads: { type: "string", default: "toy,W,M" },
    "fused-cell": { type: "string", default: "true" },
    engine: { type: "string", default: "true" },
    trainer: { type: "string", default: "true" },
    json: { type: "boolean", default: false },
  },
});
const info = await initBackend(values.backend as BackendName);
const iterations = Number(values.iterations);
const rcFraction = Number(values["rc-fraction"]);
const fusedCell = values["fused-cell"] !== "false";
setNativeEnabled(values.engine !== "false");
const useTrainer = values.trainer !== "false";

// On webgpu, count the programs dispatched (every op and the fused cell go through here).
let dispatches = 0;
const backend = tf.backend() as unknown as { runWebGPUProgram?: (...a: unknown[]) => unknown };
if (typeof backend.runWebGPUProgram === "function") {
  const original = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (...a: unknown[]) => {
    dispatches++;
    return original(...a);
  };
}

type Mode = "eos" | "rc" | "spread";

const results: Record<string, unknown>[] = [];
for (const name of values.workloads!.split(",") as WorkloadName[]) {
  const w = WORKLOADS[name];
  const B = BATCH;
  const batch = workloadBatch(name);
  const model = workloadModel(name, fusedCell);
  const optimizer = tf.train.adam(1e-3);
  const rcSteps = Math.max(1, Math.round(rcFraction * w.T));
  const native = engineModel(model) !== null;
  // "spread": first spikes spread evenly over the steps, as a trained RC model's are; examples
  // leave the batch as they take their loss.
  const spread = Int32Array.from({ length: B }, (_, b) => Math.floor((b * w.T) / B));
  const stepsOf = (mode: Mode) =>
    mode === "spread" ? spread : new Int32Array(B).fill(mode === "eos" ? w.T - 1 : rcSteps - 1);
  // What fit() runs on wasm with BLAS: the CPU engine and its own Adam (`--trainer false`: the
  // engine's gradients through tfjs's Adam).
  const trainer = native && useTrainer ? new CpuTrainer(model, 1e-3) : null;
  const run = async (mode: Mode) => {
    const steps = stepsOf(mode);
    if (trainer) {
      trainer.step(batch, { readout: w.readout, beta: 0, steps });
      return;
    }
    // A fixed t_sp (rather than a threshold) isolates the speed of the steps actually run. What
    // fit() runs: the CPU engine on wasm with BLAS, else the taped tfjs pass; then Adam.
    const { value, grads } = await lossAndGrads(model, batch, {
      method: "rc",
      readout: w.readout,
      threshold: 1,
      beta: 0,
      steps,
    });
    optimizer.applyGradients(Object.entries(grads).map(([n, t]) => ({ name: n, tensor: t })));
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  // The three modes interleaved, their order rotating, so that a shared machine's drift during
  // the measurement falls on all three alike.
  const modes = ["eos", "rc", "spread"] as const;
  const totalMs = { eos: 0, rc: 0, spread: 0 };
  const dispatchCount = { eos: 0, rc: 0, spread: 0 };
  for (const mode of modes) await run(mode); // warm-up: shader compilation, buffer pool
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(i + k) % modes.length];
      dispatches = 0;
      const began = performance.now();
      await run(mode);
      totalMs[mode] += performance.now() - began;
      dispatchCount[mode] += dispatches;
    }
  }
  for (const mode of modes) {
    const ms = totalMs[mode] / iterations;
    dispatches = dispatchCount[mode];
    const exampleSteps = stepsOf(mode).reduce((a, t) => a + t + 1, 0);
    const stepsRun = exampleSteps / B; // mean over examples
    const gflop = 3 * model.flopsPerStep() * B * stepsRun / 1e9;
    const dispatchesPerStep = dispatches / iterations / stepsRun;
    const row = {
      workload: name,
      mode,
      fusedCell: model.usesFusedCell(),
      engine: native ? (trainer ? "cpu engine + trainer's Adam" : "cpu engine") : "tfjs",
      dispatchesPerStep,
      stepsRun,
      T: w.T,
      msPerIteration: ms,
      gflop,
      gflopPerSecond: gflop / (ms / 1000),
    };
    results.push(row);
    if (!values.json) {
      console.log(
        `${info.backend} ${name} ${mode.toUpperCase()} (${
          mode === "spread" ? `mean ${stepsRun.toFixed(1)}` : stepsRun
        }/${w.T} steps): ${ms.toFixed(1)} ms/iteration, ` +
          `${gflop.toFixed(2)} GFLOP, ${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s` +
          (dispatches
            ? `, ${dispatchesPerStep.toFixed(1)} dispatches per step (forward + backward)`
            : "") +
          (native
            ? trainer ? ", CPU engine + SIMD Adam" : ", CPU engine"
            : model.usesFusedCell()
            ? ", fused cell"
            : ""),
      );
    }
  }
  const [eos, ...others] = results.slice(-3) as { msPerIteration: number; stepsRun: number }[];
  for (const [label, rc] of [["RC", others[0]], ["spread", others[1]]] as const) {
    const stepSaving = 1 - rc.stepsRun / w.T;
    const wallSaving = 1 - rc.msPerIteration / eos.msPerIteration;
    if (!values.json) {
      console.log(
        `${info.backend} ${name} ${label}: step saving ${(100 * stepSaving).toFixed(1)} %, ` +
          `wall saving ${(100 * wallSaving).toFixed(1)} %, realised ratio ${
            (wallSaving / stepSaving).toFixed(2)
          }`,
      );
    }
  }
  tf.dispose(model.variables);
  optimizer.dispose();
}
if (values.json) console.log(JSON.stringify({ backend: info, results }, null, 1));
