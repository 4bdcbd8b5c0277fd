/**
 * RC's spike-finding pass: where each example of a training batch takes its loss (its first spike
 * for RC, the last step for EOS), found by a forward pass without gradients that halts once every
 * example has spiked. On webgpu a readback waits ~11 ms (Deno), so the readback schedule is chosen
 * from the first step's measured cost (`spikeCheckFor`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SequenceBatch } from "../data/batch.ts";
import type { RecurrentModel } from "../models/model.ts";
import { bucketSize, gatherStep, shrinkRows, traceBatch } from "./infer.ts";
import { choosePath } from "./paths.ts";
import { confidenceAndLabel, firstSpikes } from "./spike.ts";
import type { FitOptions } from "./train.ts";

/** How the spike-finding pass reads its confidences back (tfjs path). */
export interface SpikeCheck {
  /** Steps computed per readback. */
  checkEvery: number;
  /**
   * Whether a readback is left in flight while the next chunk of steps is computed (its answer
   * is used one chunk later), rather than awaited before going on.
   */
  overlap: boolean;
}

/** What `lossSteps` found and what its spike-finding pass cost. */
export interface LossStepsResult {
  /** Where each example takes its loss. */
  steps: Int32Array;
  /** Example-steps of the spike-finding pass (bucket padding included; 0 for EOS). */
  stepsComputed: number;
  /** Readbacks of the spike-finding pass (tfjs path; 0 for EOS and on the engines' paths). */
  readbacks: number;
  /** Time steps the spike-finding pass ran before halting (0 for EOS). */
  stepsRun: number;
  /** The readback schedule used (tfjs path). */
  check?: SpikeCheck;
}

/**
 * A GPU readback's latency in Deno, the floor whatever the work (bench/README.md, "Why a GPU
 * readback costs ~11 ms in Deno": 11.4 ms on llvmpipe and on an H100).
 */
const READBACK_MS = 11;

/**
 * The readback schedule for a step that took `stepMs` (compute and one readback, full batch):
 * a step that costs several readbacks is checked after every step, waiting for the answer (a
 * step computed for an example that has already spiked costs more than the wait); a cheap one
 * is checked every ~11 ms of compute with the readback in flight while the next chunk runs.
 */
export function spikeCheckFor(stepMs: number, numSteps: number): SpikeCheck {
  if (stepMs >= 4 * READBACK_MS) return { checkEvery: 1, overlap: false };
  const compute = Math.max(stepMs - READBACK_MS, 0.25);
  return {
    checkEvery: Math.min(numSteps, Math.max(1, Math.ceil(READBACK_MS / compute))),
    overlap: true,
  };
}

/**
 * The step at which each example's loss is taken: first spike (RC) or last step (EOS).
 *
 * RC on the tfjs path runs the model forward without gradients, reading each chunk of steps'
 * confidences back, dropping spiked examples from the active batch (bucketed sizes) and halting
 * when every example has spiked. On cpu and wasm a readback is cheap: every step is checked.
 * On webgpu a readback waits ~11 ms (Deno), so the schedule (`spikeCheckFor`) follows from the
 * first step's measured cost unless `checkEvery` / `overlap` fix it. The first spikes are the
 * same under every schedule: an example's confidences do not depend on the other rows, and a
 * step computed after its spike does not move it.
 */
export async function lossSteps(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: Pick<FitOptions, "method" | "readout" | "threshold" | "checkEvery" | "path"> & {
    /** Leave each readback in flight while the next chunk runs (default: see above). */
    overlap?: boolean;
  },
): Promise<LossStepsResult> {
  const { numSteps: T, batchSize: B } = batch;
  if (opts.method === "eos") {
    return { steps: new Int32Array(B).fill(T - 1), stepsComputed: 0, readbacks: 0, stepsRun: 0 };
  }
  const path = choosePath(model, {
    purpose: "infer",
    readout: opts.readout,
    halting: true,
    force: opts.path,
  });
  if (path.name !== "tfjs") {
    const { traces, stepsComputed, stepsRun } = await traceBatch(model, batch, {
      readout: opts.readout,
      haltThreshold: opts.threshold,
      checkEvery: opts.checkEvery,
      path: opts.path,
    });
    return {
      steps: firstSpikes(traces, opts.threshold).steps,
      stepsComputed,
      readbacks: 0,
      stepsRun,
    };
  }
  return await haltingPass(model, batch, opts);
}

/** A chunk's confidences `[k, n]` on their way back, and the rows and steps they belong to. */
interface Pending {
  values: Promise<tf.TypedArray>;
  tensor: tf.Tensor;
  rows: Int32Array;
  start: number;
  count: number;
}

/** RC's spike-finding forward pass on the tfjs path (see `lossSteps`). */
async function haltingPass(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: Pick<FitOptions, "readout" | "threshold" | "checkEvery"> & { overlap?: boolean },
): Promise<LossStepsResult> {
  const { numSteps: T, batchSize: B, numFeatures: F } = batch;
  const threshold = opts.threshold;
  const gpu = !hasSyncReadback();
  // Fixed by the caller, or cheap readbacks (cpu, wasm): every step, awaited. Otherwise decided
  // after the first step.
  let check: SpikeCheck | null = opts.checkEvery !== undefined || opts.overlap !== undefined || !gpu
    ? {
      checkEvery: Math.max(1, opts.checkEvery ?? 1),
      overlap: opts.overlap ?? false,
    }
    : null;
  const steps = new Int32Array(B).fill(T - 1);
  const fired = new Uint8Array(B);
  let numFired = 0;
  let readbacks = 0;
  let stepsComputed = 0;
  let rows = Int32Array.from({ length: B }, (_, i) => i);
  let state = model.initialState(B);
  const inFlight: Pending[] = [];
  const settle = async (p: Pending) => {
    const values = await p.values;
    p.tensor.dispose();
    const n = p.rows.length;
    for (let k = 0; k < p.count; k++) {
      for (let r = 0; r < n; r++) {
        const b = p.rows[r];
        if (!fired[b] && values[k * n + r] >= threshold) {
          fired[b] = 1;
          steps[b] = p.start + k;
          numFired++;
        }
      }
    }
  };
  let t = 0;
  try {
    while (t < T && numFired < B) {
      ({ state, rows } = shrinkRows(state, rows, fired, bucketSize(B - numFired, B)));
      const began = performance.now();
      const start = t;
      const end = Math.min(T, t + (check?.checkEvery ?? 1));
      const confidences: tf.Tensor[] = [];
      for (; t < end; t++) {
        const input = tf.tensor2d(gatherStep(batch, t, rows), [rows.length, F]);
        const { state: next, logits } = model.step(state, input);
        tf.dispose([input, ...state]);
        state = next;
        const { confidence, label } = confidenceAndLabel(logits, opts.readout);
        confidences.push(confidence);
        tf.dispose([label, logits]);
        stepsComputed += rows.length;
      }
      const stacked = tf.stack(confidences); // [k, n]
      tf.dispose(confidences);
      inFlight.push({ values: stacked.data(), tensor: stacked, rows, start, count: end - start });
      readbacks++;
      // Overlapped: the newest readback stays in flight while the next chunk is computed.
      const keepInFlight = check?.overlap && t < T ? 1 : 0;
      while (inFlight.length > keepInFlight) await settle(inFlight.shift()!);
      check ??= spikeCheckFor(performance.now() - began, T);
    }
  } finally {
    // A chunk still in flight when all have spiked: its answer is not needed, but wait for it
    // (no readback outlives the call).
    for (const p of inFlight) await p.values.catch(() => {}).finally(() => p.tensor.dispose());
    tf.dispose(state);
  }
  return { steps, stepsComputed, readbacks, stepsRun: t, ...(check ? { check } : {}) };
}

/** Whether the current backend can read a tensor back synchronously (cpu and wasm can). */
export function hasSyncReadback(): boolean {
  return tf.getBackend() === "cpu" || tf.getBackend() === "wasm";
}
