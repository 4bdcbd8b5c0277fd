/**
 * RC's realised saving in the WebGPU engine, halting on the GPU against masking: ms per training
 * iteration (forward + backward + Adam, batch 128) for the 2-sequence LSTM (toy) and the temporal
 * MNIST LSTM (M), with the workgroups each iteration dispatched.
 *
 * The loss steps are drawn (seeded) from a trained RC model's first-spike distribution on its test
 * set, as the published run records it (`reports/runs/two-sequence/rc.json`, Fig. 2B;
 * `reports/runs/mnist/lstm340-fast-s1.json`, Fig. 6), so that the steps skipped are those a
 * trained model skips. Modes, interleaved over rounds:
 * - `eos`: every step (the loss at the last), as fit() trains EOS;
 * - `rc masked`: the drawn loss steps, every step run for every example and the backward pass
 *   masked after each loss step (fit()'s RC before GPU halting);
 * - `rc gpu`: the drawn loss steps, halting on the GPU (the GPU lists the examples still running
 *   after each step and sizes the later dispatches to them; no readback);
 * - `rc gpu θ`: halting on the GPU at threshold θ on the untrained workload model (its own
 *   spikes, whatever they are: the conf check's cost; its step saving is its own).
 * Step saving: 1 − Σ(t_sp + 1) / (T B); wall saving: 1 − ms / EOS ms; realised ratio: their ratio.
 *
 *   deno run -A bench/gpu_halting.ts [--iterations 10] [--rounds 3] [--workloads toy,M]
 *   [--reports reports] [--json]
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { GpuLstmEngine, type GpuStepOptions } from "../lib/accel/gpu_engine.ts";
import { Rng } from "../lib/random.ts";
import {
  BATCH,
  benchDevice,
  workloadBatch,
  workloadModel,
  type WorkloadName,
  WORKLOADS,
} from "./_workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    workloads: { type: "string", default: "toy,M" },
    reports: { type: "string", default: "reports" },
    json: { type: "boolean", default: false },
  },
});
const iterations = Number(values.iterations);
const rounds = Number(values.rounds);

/** Where each workload's trained first-spike distribution comes from. */
const SOURCES: Partial<Record<WorkloadName, { file: string; figure: string }>> = {
  toy: { file: "runs/two-sequence/rc.json", figure: "2B" },
  M: { file: "runs/mnist/lstm340-fast-s1.json", figure: "6" },
};

interface Bar {
  label: string;
  x: number[];
  y: number[];
}

/**
 * Counts of first spikes per step (0-based, length T) in the run's histogram figure: fired and
 * "no spike" (counted at the last step) together.
 */
async function spikeHistogram(name: WorkloadName, T: number): Promise<number[]> {
  const source = SOURCES[name];
  if (!source) throw new Error(`bench/gpu_halting.ts: no trained distribution for ${name}`);
  const path = `${values.reports}/${source.file}`;
  let record: { figures?: { paperFigure?: string; kind?: string; series?: Bar[] }[] };
  try {
    record = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(
      `bench/gpu_halting.ts: cannot read ${path} (${(e as Error).message}): run ` +
        "`deno task reproduce` first, or give --reports DIR holding runs/",
    );
  }
  const figure = record.figures?.find((f) => f.paperFigure === source.figure && f.kind === "bar");
  if (!figure?.series?.length) {
    throw new Error(`bench/gpu_halting.ts: ${path} has no bar figure ${source.figure}`);
  }
  const counts = new Array(T).fill(0);
  for (const s of figure.series) {
    s.x.forEach((step, k) => {
      if (!(step >= 1 && step <= T)) throw new Error(`${path}: step ${step} outside 1..${T}`);
      counts[step - 1] += s.y[k];
    });
  }
  return counts;
}

/** `B` loss steps drawn from `counts` (seeded). */
function drawSteps(counts: number[], B: number, rng: Rng): Int32Array {
  const total = counts.reduce((a, b) => a + b, 0);
  return Int32Array.from({ length: B }, () => {
    let u = rng.next() * total;
    for (let t = 0; t < counts.length; t++) {
      u -= counts[t];
      if (u < 0) return t;
    }
    return counts.length - 1;
  });
}

await initBackend("cpu", { quiet: true }); // tfjs only makes the initial weights
const { device, adapterInfo } = await benchDevice("bench/gpu_halting.ts");
const log = (s: string) => !values.json && console.log(s);
log(
  `adapter: ${JSON.stringify(adapterInfo)}; ${iterations} iterations x ${rounds} rounds per mode`,
);

const MODES = ["eos", "rc masked", "rc gpu", "rc gpu θ"] as const;
type Mode = typeof MODES[number];
const results: Record<string, unknown>[] = [];

for (const name of values.workloads!.split(",") as WorkloadName[]) {
  const w = WORKLOADS[name];
  const B = BATCH;
  const batch = workloadBatch(name);
  const model = workloadModel(name);
  const weights = model.variables.map((v) => v.dataSync() as Float32Array);
  tf.dispose(model.variables);
  const engine = await GpuLstmEngine.create(device, model, weights, { T: w.T, B }, {
    learningRate: 1e-3,
  });
  const counts = await spikeHistogram(name, w.T);
  // A fresh draw per iteration, the same draws for both RC modes.
  const draws = Array.from(
    { length: iterations },
    (_, i) => drawSteps(counts, B, new Rng(100 + i)),
  );
  const eos = new Int32Array(B).fill(w.T - 1);
  const theta = 0.6;
  const opts = (mode: Mode, i: number): GpuStepOptions => {
    const base = { readout: w.readout, beta: 0 };
    if (mode === "eos") return { ...base, steps: eos, halting: "mask" };
    if (mode === "rc masked") return { ...base, steps: draws[i], halting: "mask" };
    if (mode === "rc gpu") return { ...base, steps: draws[i], halting: "gpu" };
    return { ...base, threshold: theta, halting: "gpu" };
  };
  device.pushErrorScope("validation");
  for (const mode of MODES) {
    await engine.step(batch, opts(mode, 0)); // warm-up: pipelines, first uploads
    await engine.readLoss();
  }
  const error = await device.popErrorScope();
  if (error) throw new Error(`WebGPU validation error: ${error.message}`);
  await engine.readTotals();
  const ms = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  const needed = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  const workgroups = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(r + k) % MODES.length];
      const began = performance.now();
      for (let i = 0; i < iterations; i++) await engine.step(batch, opts(mode, i));
      const loss = await engine.readLoss(); // waits for the GPU
      ms[mode] += performance.now() - began;
      if (!Number.isFinite(loss)) throw new Error(`${name} ${mode}: loss ${loss}`);
      const totals = await engine.readTotals();
      needed[mode] += totals.neededSteps;
      workgroups[mode] += totals.workgroups;
    }
  }
  engine.destroy();
  const n = rounds * iterations;
  const eosMs = ms.eos / n;
  for (const mode of MODES) {
    const msPer = ms[mode] / n;
    const stepsRun = needed[mode] / n / B;
    const stepSaving = 1 - stepsRun / w.T;
    const wallSaving = 1 - msPer / eosMs;
    const row = {
      workload: name,
      mode,
      T: w.T,
      meanLossStep: stepsRun,
      msPerIteration: msPer,
      workgroupsPerIteration: workgroups[mode] / n,
      stepSaving,
      wallSaving,
      realisedRatio: mode === "eos" || stepSaving <= 0 ? null : wallSaving / stepSaving,
    };
    results.push(row);
    log(
      `${name} ${mode.padEnd(9)}: ${msPer.toFixed(2)} ms/iteration, ${
        (workgroups[mode] / n).toFixed(0)
      } workgroups/iteration, mean ${stepsRun.toFixed(2)} of ${w.T} steps` +
        (mode === "eos"
          ? ""
          : `; step saving ${(100 * stepSaving).toFixed(1)} %, wall saving ${
            (100 * wallSaving).toFixed(1)
          } %, realised ratio ${
            row.realisedRatio === null ? "n/a" : row.realisedRatio.toFixed(2)
          }`),
    );
  }
}
device.destroy();
if (values.json) {
  console.log(JSON.stringify({ adapter: adapterInfo, iterations, rounds, results }, null, 1));
}
