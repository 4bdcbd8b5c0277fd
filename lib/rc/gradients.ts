/**
 * One training batch's loss and gradients, everything of a training step but the optimizer: on an
 * accelerator that serves gradients, or on the tfjs path as a taped pass over each example's steps
 * up to its loss step (`batchLoss`, after the spike-finding pass of lib/rc/halting.ts), or, where a
 * synchronous readback is cheap (cpu, wasm), one taped pass that finds the spikes as it goes
 * (`singlePassLoss`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { selectRows, type SequenceBatch } from "../data/batch.ts";
import { matMulT } from "../models/lstm.ts";
import type { RecurrentModel } from "../models/model.ts";
import { registered } from "./accelerators.ts";
import { hasSyncReadback, lossSteps } from "./halting.ts";
import { bucketSize, gatherStep } from "./infer.ts";
import { LossCollector } from "./loss.ts";
import { choosePath, type PathChoice, type PathName } from "./paths.ts";
import { confidenceAndLabel, type Readout } from "./spike.ts";
import type { FitOptions } from "./train.ts";

/**
 * The batch loss, mean over examples of `L - βH` at each example's `steps[b]` (synchronous, so
 * it can run under `tf.variableGrads`). Returns the loss and the example-steps computed.
 */
export function batchLoss(
  model: RecurrentModel,
  batch: SequenceBatch,
  steps: Int32Array,
  opts: { readout: Readout; beta: number },
): { loss: tf.Scalar; stepsComputed: number } {
  const B = batch.batchSize;
  const order = Array.from(steps.keys()).sort((a, b) => steps[b] - steps[a] || a - b);
  const sorted = selectRows(batch, order);
  const sortedSteps = Int32Array.from(order, (i) => steps[i]);
  const numRun = sortedSteps[0] + 1;
  const mask = new Float32Array(numRun * B);
  const lossAt = new Uint8Array(numRun);
  for (let b = 0; b < B; b++) {
    mask[sortedSteps[b] * B + b] = 1;
    lossAt[sortedSteps[b]] = 1;
  }
  let stepsComputed = 0;
  const F = batch.numFeatures;
  const project = model.projectsInputs?.() === true;
  const loss = tf.tidy(() => {
    let state = model.initialState(B);
    let n = B;
    const losses = new LossCollector();
    let active = B;
    // Every step's input projection in one matmul, split into steps (one dispatch forward, one
    // concat backward), where the model offers it.
    const projected = project
      ? tf.split(
        model.projectInputs!(tf.tensor2d(sorted.x.subarray(0, numRun * B * F), [numRun * B, F])),
        numRun,
        0,
      ) as tf.Tensor2D[]
      : [];
    for (let t = 0; t < numRun; t++) {
      while (active > 0 && sortedSteps[active - 1] < t) active--;
      const size = bucketSize(active, B);
      if (size < n) {
        n = size;
        state = state.map((s) => s.slice(0, n));
      }
      // Inputs and masks come from the host: the active rows are a prefix, so a subarray.
      const out = project
        ? model.stepProjected!(state, n < B ? projected[t].slice(0, n) : projected[t])
        : model.step(state, tf.tensor2d(sorted.x.subarray(t * B * F, (t * B + n) * F), [n, F]));
      state = out.state;
      stepsComputed += n;
      if (!lossAt[t]) continue; // no example takes its loss at this step
      losses.add(out.logits, sorted.y.subarray(0, n), mask.subarray(t * B, t * B + n));
    }
    return tf.div(losses.sum(opts.readout, opts.beta), B) as tf.Scalar;
  });
  return { loss, stepsComputed };
}

/**
 * RC's batch loss in one taped pass, for backends with a cheap synchronous readback: each step's
 * confidences are read back (~0.02 ms on cpu/wasm) so the pass itself finds every example's
 * first spike, takes its loss there and drops it from the active batch (bucketed sizes). Equal
 * to `lossSteps` followed by `batchLoss`, without the separate spike-finding forward pass.
 */
export function singlePassLoss(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: { readout: Readout; beta: number; threshold: number },
): { loss: tf.Scalar; steps: Int32Array; stepsComputed: number } {
  const { numSteps: T, batchSize: B, numFeatures: F } = batch;
  const steps = new Int32Array(B).fill(T - 1);
  const done = new Uint8Array(B);
  let numDone = 0;
  let stepsComputed = 0;
  const loss = tf.tidy(() => {
    let rows = Int32Array.from({ length: B }, (_, i) => i);
    let state = model.initialState(B);
    let ys = batch.y;
    const losses = new LossCollector();
    for (let t = 0; t < T && numDone < B; t++) {
      const n = rows.length;
      const input = tf.tensor2d(gatherStep(batch, t, rows), [n, F]);
      const out = model.step(state, input);
      state = out.state;
      stepsComputed += n;
      const confidence = confidenceAndLabel(out.logits, opts.readout).confidence.dataSync();
      const mask = new Float32Array(n);
      let spiking = 0;
      for (let r = 0; r < n; r++) {
        const b = rows[r];
        if (done[b] || (confidence[r] < opts.threshold && t < T - 1)) continue;
        mask[r] = 1;
        done[b] = 1;
        steps[b] = t;
        spiking++;
      }
      numDone += spiking;
      if (spiking > 0) losses.add(out.logits, ys, mask);
      const size = bucketSize(B - numDone, B);
      if (numDone < B && size < n) {
        // Unfinished rows first, then finished ones as padding up to the bucket size.
        const keep: number[] = [];
        for (let r = 0; r < n && keep.length < size; r++) if (!done[rows[r]]) keep.push(r);
        for (let r = 0; r < n && keep.length < size; r++) if (done[rows[r]]) keep.push(r);
        // A one-hot selection matmul rather than tf.gather: gather's gradient needs
        // UnsortedSegmentSum, which tfjs-wasm lacks; the matmul costs size * n * H, rarely.
        const select = new Float32Array(keep.length * n);
        keep.forEach((r, i) => select[i * n + r] = 1);
        const selection = tf.tensor2d(select, [keep.length, n]);
        // State of any rank: rows are the first axis.
        state = state.map((st) =>
          tf.reshape(
            matMulT(selection, tf.reshape(st, [n, -1]) as tf.Tensor2D),
            [keep.length, ...st.shape.slice(1)],
          )
        );
        rows = Int32Array.from(keep, (r) => rows[r]);
        ys = Int32Array.from(rows, (b) => batch.y[b]);
      }
    }
    return tf.div(losses.sum(opts.readout, opts.beta), B) as tf.Scalar;
  });
  return { loss, steps, stepsComputed };
}

/** One batch's loss and gradients, and the steps it took: everything of a training step but Adam. */
export async function lossAndGrads(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts:
    & Pick<FitOptions, "method" | "readout" | "threshold" | "beta" | "checkEvery" | "singlePass">
    & {
      /** Loss steps given rather than found (benches: a fixed t_sp); `method` is then ignored. */
      steps?: Int32Array;
      /** Take this path rather than the chooser's pick. */
      path?: PathName;
    },
): Promise<{
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  /** Where each example's loss was taken. */
  steps: Int32Array;
  /** Example-steps of the separate spike-finding pass (0 when there is none). */
  spikeSteps: number;
  /** Example-steps of the taped pass. */
  taped: number;
  /** Readbacks of the separate spike-finding pass (0 when there is none). */
  readbacks: number;
  /** The path that computed them. */
  path: PathChoice;
}> {
  const path = choosePath(model, { purpose: "gradients", readout: opts.readout, force: opts.path });
  const accelerator = registered(path.name);
  if (accelerator?.lossAndGrads) {
    // The accelerator's own loss and gradients (the CPU engine: no tfjs op per step).
    const r = accelerator.lossAndGrads(model, batch, {
      readout: opts.readout,
      beta: opts.beta,
      ...(opts.steps
        ? { steps: opts.steps }
        : opts.method === "rc"
        ? { threshold: opts.threshold }
        : { steps: new Int32Array(batch.batchSize).fill(batch.numSteps - 1) }),
    });
    const grads: tf.NamedTensorMap = {};
    model.variables.forEach((v, k) => grads[v.name] = tf.tensor(r.grads[k], v.shape));
    return {
      value: tf.scalar(r.loss),
      grads,
      steps: r.steps,
      spikeSteps: 0,
      taped: r.stepsComputed,
      readbacks: 0,
      path,
    };
  }
  // RC on cpu/wasm: one taped pass finds the spikes itself. Otherwise (webgpu, EOS, given steps):
  // the loss steps first (a halting forward pass for RC), then the taped pass.
  const singlePass = !opts.steps && opts.method === "rc" && (opts.singlePass ?? hasSyncReadback());
  let steps: Int32Array;
  let spikeSteps = 0;
  let readbacks = 0;
  if (opts.steps) {
    steps = opts.steps;
  } else if (singlePass) {
    steps = new Int32Array(0);
  } else {
    ({ steps, stepsComputed: spikeSteps, readbacks } = await lossSteps(model, batch, {
      ...opts,
      path: "tfjs",
    }));
  }
  let taped = 0;
  const { value, grads } = tf.variableGrads(() => {
    if (singlePass) {
      const r = singlePassLoss(model, batch, opts);
      steps = r.steps;
      taped = r.stepsComputed;
      return r.loss;
    }
    const { loss, stepsComputed } = batchLoss(model, batch, steps, opts);
    taped = stepsComputed;
    return loss;
  }, model.variables);
  return { value, grads, steps, spikeSteps, taped, readbacks, path };
}
