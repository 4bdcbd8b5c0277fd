/**
 * ms per LSTM training iteration (forward + backward + Adam) in the WebGPU engine
 * (lib/accel/gpu_engine.ts), EOS, RC at a fixed t_sp and "spread" first spikes, for the speed
 * issue's workloads (bench/_workloads.ts), with dispatches per time step and GFLOP/s.
 *
 * Two timings per mode: "pipelined", `--iterations` iterations submitted back to back and one
 * readback at the end (as PyTorch is timed in bench/pytorch_lstm.py: synchronise after the
 * loop), and "synced", every iteration waiting for its loss (what a loop that logs every loss
 * pays), and the host's time spent encoding and submitting (the rest is the GPU's). Also the
 * latency of one small readback on an idle device.
 *
 *   deno run -A bench/gpu_engine.ts [--iterations 20] [--workloads toy,W,M] [--rc-fraction 0.35]
 *   [--json] [--timing false]
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { GpuLstmEngine } from "../lib/accel/gpu_engine.ts";
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
    iterations: { type: "string", default: "20" },
    "rc-fraction": { type: "string", default: "0.35" },
    workloads: { type: "string", default: "toy,W,M" },
    json: { type: "boolean", default: false },
    timing: { type: "boolean", default: true },
  },
});
const iterations = Number(values.iterations);
const rcFraction = Number(values["rc-fraction"]);
await initBackend("cpu", { quiet: true }); // tfjs only makes the initial weights

const { device, adapterInfo, timing } = await benchDevice("bench/gpu_engine.ts", values.timing);
const log = (s: string) => !values.json && console.log(s);
log(`adapter: ${JSON.stringify(adapterInfo)}`);

type Mode = "eos" | "rc" | "spread";
const modes: Mode[] = ["eos", "rc", "spread"];
const results: Record<string, unknown>[] = [];
let readbackMs = NaN;

for (const name of values.workloads!.split(",") as WorkloadName[]) {
  const w = WORKLOADS[name];
  const B = BATCH;
  const batch = workloadBatch(name);
  const model = workloadModel(name);
  const weights = model.variables.map((v) => v.dataSync() as Float32Array);
  const engine = await GpuLstmEngine.create(device, model, weights, { T: w.T, B }, {
    learningRate: 1e-3,
  });
  tf.dispose(model.variables);
  const rcSteps = Math.max(1, Math.round(rcFraction * w.T));
  const spread = Int32Array.from({ length: B }, (_, b) => Math.floor((b * w.T) / B));
  const stepsOf = (mode: Mode) =>
    mode === "spread" ? spread : new Int32Array(B).fill(mode === "eos" ? w.T - 1 : rcSteps - 1);
  const opts = (mode: Mode) => ({ readout: w.readout, beta: 0, steps: stepsOf(mode) });
  device.pushErrorScope("validation");
  for (const mode of modes) {
    await engine.step(batch, opts(mode)); // warm-up: pipelines, first uploads
    await engine.readLoss();
  }
  const error = await device.popErrorScope();
  if (error) throw new Error(`WebGPU validation error: ${error.message}`);
  if (Number.isNaN(readbackMs)) {
    const began = performance.now();
    for (let i = 0; i < 5; i++) await engine.readSteps();
    readbackMs = (performance.now() - began) / 5;
    log(`one readback of ${4 * B} bytes on an idle device: ${readbackMs.toFixed(3)} ms`);
  }
  const pipelined: Record<Mode, number> = { eos: 0, rc: 0, spread: 0 };
  const synced: Record<Mode, number> = { eos: 0, rc: 0, spread: 0 };
  const dispatches: Record<Mode, number> = { eos: 0, rc: 0, spread: 0 };
  const encode: Record<Mode, number> = { eos: 0, rc: 0, spread: 0 };
  const rounds = 3; // modes interleaved over rounds, their order rotating
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(r + k) % modes.length];
      let began = performance.now();
      for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        await engine.step(batch, opts(mode));
        encode[mode] += performance.now() - t0;
      }
      const loss = await engine.readLoss();
      pipelined[mode] += performance.now() - began;
      if (!Number.isFinite(loss)) throw new Error(`${name} ${mode}: loss ${loss}`);
      dispatches[mode] = engine.lastDispatches;
      began = performance.now();
      for (let i = 0; i < iterations; i++) {
        await engine.step(batch, opts(mode));
        await engine.readLoss();
      }
      synced[mode] += performance.now() - began;
    }
  }
  // GPU time per phase (each phase in its own pass, timestamps at its ends), EOS and RC.
  const phases: Record<string, Record<string, number>> = {};
  if (timing) {
    engine.enableTiming();
    for (const mode of ["eos", "rc"] as const) {
      for (let i = 0; i < 5; i++) await engine.step(batch, opts(mode));
      const t = await engine.readTiming();
      phases[mode] = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v / 5]));
      const total = Object.values(phases[mode]).reduce((a, b) => a + b, 0);
      log(
        `gpu engine ${name} ${mode.toUpperCase()} GPU time per iteration by phase (ms): ` +
          Object.entries(phases[mode]).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ") +
          `; sum ${total.toFixed(3)}`,
      );
    }
    engine.enableTiming(false);
  }
  engine.destroy();
  const eosMs = pipelined.eos / (rounds * iterations);
  for (const mode of modes) {
    const ms = pipelined[mode] / (rounds * iterations);
    const syncedMs = synced[mode] / (rounds * iterations);
    const encodeMs = encode[mode] / (rounds * iterations);
    const exampleSteps = stepsOf(mode).reduce((a, t) => a + t + 1, 0);
    const stepsRun = exampleSteps / B;
    const stepsEncoded = Math.max(...stepsOf(mode)) + 1;
    const gflop = (3 * model.flopsPerStep() * B * stepsRun) / 1e9;
    const stepSaving = 1 - stepsRun / w.T;
    const wallSaving = 1 - ms / eosMs;
    const row = {
      workload: name,
      mode,
      stepsRun,
      stepsEncoded,
      T: w.T,
      msPerIteration: ms,
      msPerIterationSynced: syncedMs,
      encodeMsPerIteration: encodeMs,
      dispatches: dispatches[mode],
      dispatchesPerStep: dispatches[mode] / stepsEncoded,
      gflop,
      gflopPerSecond: gflop / (ms / 1000),
      realisedRatio: mode === "eos" ? null : wallSaving / stepSaving,
      gpuMsByPhase: phases[mode] ?? null,
    };
    results.push(row);
    log(
      `gpu engine ${name} ${mode.toUpperCase()} (${
        mode === "spread" ? `mean ${stepsRun.toFixed(1)}` : stepsRun
      }/${w.T} steps, ${stepsEncoded} encoded): ${ms.toFixed(2)} ms/iteration pipelined, ` +
        `${syncedMs.toFixed(2)} synced, ${encodeMs.toFixed(2)} encoding; ${
          gflop.toFixed(2)
        } GFLOP, ` +
        `${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s; ${dispatches[mode]} dispatches ` +
        `(${row.dispatchesPerStep.toFixed(2)} per step encoded)` +
        (mode === "eos"
          ? ""
          : `; step saving ${(100 * stepSaving).toFixed(1)} %, wall saving ${
            (100 * wallSaving).toFixed(1)
          } %, realised ratio ${(wallSaving / stepSaving).toFixed(2)}`),
    );
  }
}
device.destroy();
if (values.json) {
  console.log(JSON.stringify({ adapter: adapterInfo, readbackMs, iterations, results }, null, 1));
}
