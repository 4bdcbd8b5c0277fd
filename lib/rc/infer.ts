/**
 * Running a model over a batch, step by step, recording each example's readout confidence and
 * label at every step (the traces from which any threshold's first spike follows).
 *
 * RC-inference halts: it reads the traces back every `checkEvery` steps (a readback costs
 * >= 10 ms on webgpu in Deno, so not at every step), stops when every example has spiked, and
 * in between drops spiked examples from the active batch. The active batch only takes a few
 * sizes (multiples of B/8), so tfjs-webgpu's per-shape buffer pool stays bounded.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { selectRows, type SequenceBatch } from "../data/batch.ts";
import type { RecurrentModel } from "../models/model.ts";
import { registered } from "./accelerators.ts";
import { choosePath, type PathChoice, type PathName } from "./paths.ts";
import { confidenceAndLabel, type Readout, type Traces } from "./spike.ts";

export interface TraceOptions {
  readout: Readout;
  /** RC-inference: stop once every example's confidence has reached this threshold. */
  haltThreshold?: number;
  /** Steps computed between readbacks while halting (default 1 on cpu/wasm, 4 on webgpu). */
  checkEvery?: number;
  /** tfjs path: drop spiked examples from the active batch while halting (default true). */
  shrink?: boolean;
  /** Take this path rather than the chooser's pick (tests, benchmarks); fails if it cannot. */
  path?: PathName;
}

export interface TraceResult {
  traces: Traces;
  /** Example-steps computed, bucket padding included. */
  stepsComputed: number;
  /** Time steps run before halting (T when not halted). */
  stepsRun: number;
  /** The path that ran the model (lib/rc/paths.ts). */
  path: PathChoice;
}

/** Smallest allowed active-batch size that holds `n` of `full` examples: a multiple of full/8. */
export function bucketSize(n: number, full: number): number {
  const quantum = Math.max(1, Math.ceil(full / 8));
  return Math.min(full, Math.max(quantum, Math.ceil(n / quantum) * quantum));
}

/** Default readback spacing for the current backend. */
export function defaultCheckEvery(): number {
  return tf.getBackend() === "webgpu" ? 4 : 1;
}

/**
 * Runs `model` over `batch`, returning per-step traces (`[T, B]`, NaN where not computed).
 * @example
 * ```ts ignore
 * const { traces, stepsComputed } = await traceBatch(model, batch, { readout: "binary", haltThreshold: 0.95 });
 * ```
 */
export async function traceBatch(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: TraceOptions,
): Promise<TraceResult> {
  const { numSteps: T, batchSize: B, numFeatures: F } = batch;
  const path = choosePath(model, {
    purpose: "infer",
    readout: opts.readout,
    halting: opts.haltThreshold !== undefined,
    force: opts.path,
  });
  const accelerator = registered(path.name);
  if (accelerator?.traces) {
    // The CPU engine: spiked examples leave at once, no tfjs op per step. The GPU engine: every
    // step of every example, one readback per chunk of examples.
    const r = await accelerator.traces(model, batch, opts);
    const traces = { numSteps: T, batchSize: B, confidence: r.confidence, label: r.label };
    return { traces, stepsComputed: r.stepsComputed, stepsRun: r.stepsRun, path };
  }
  const halting = opts.haltThreshold !== undefined;
  const threshold = opts.haltThreshold ?? Infinity;
  const checkEvery = halting ? Math.max(1, opts.checkEvery ?? defaultCheckEvery()) : T;
  const shrink = halting && (opts.shrink ?? true);
  const confidence = new Float32Array(T * B).fill(NaN);
  const label = new Int32Array(T * B).fill(-1);
  const fired = new Uint8Array(B);
  let numFired = 0;

  let state = model.initialState(B);
  let rowMap = Int32Array.from({ length: B }, (_, i) => i);
  let stepsComputed = 0;
  let t = 0;
  try {
    while (t < T) {
      const chunkStart = t;
      const chunkEnd = Math.min(T, t + checkEvery);
      const n = rowMap.length;
      const outs: tf.Tensor[] = [];
      for (; t < chunkEnd; t++) {
        const input = tf.tensor2d(gatherStep(batch, t, rowMap), [n, F]);
        const { state: next, logits } = model.step(state, input);
        tf.dispose([input, state]);
        state = next;
        outs.push(tf.tidy(() => {
          const { confidence: c, label: l } = confidenceAndLabel(logits, opts.readout);
          return tf.stack([c, tf.cast(l, "float32")]);
        }));
        logits.dispose();
        stepsComputed += n;
      }
      const stacked = tf.stack(outs); // [k, 2, n]
      tf.dispose(outs);
      const values = await stacked.data();
      stacked.dispose();
      for (let k = 0; k < chunkEnd - chunkStart; k++) {
        const step = chunkStart + k;
        for (let r = 0; r < n; r++) {
          const b = rowMap[r];
          const c = values[(k * 2) * n + r];
          confidence[step * B + b] = c;
          label[step * B + b] = values[(k * 2 + 1) * n + r];
          if (!fired[b] && c >= threshold) {
            fired[b] = 1;
            numFired++;
          }
        }
      }
      if (!halting || t >= T) continue;
      if (numFired === B) break;
      if (shrink) {
        ({ state, rows: rowMap } = shrinkRows(state, rowMap, fired, bucketSize(B - numFired, B)));
      }
    }
  } finally {
    tf.dispose(state);
  }
  return {
    traces: { numSteps: T, batchSize: B, confidence, label },
    stepsComputed,
    stepsRun: t,
    path,
  };
}

/** Inputs `[n, F]` of step `t` for the examples `rows`. */
export function gatherStep(batch: SequenceBatch, t: number, rows: Int32Array): Float32Array {
  const { batchSize: B, numFeatures: F, x } = batch;
  if (rows.length === B && rows[B - 1] === B - 1 && rows[0] === 0) {
    return x.subarray(t * B * F, (t + 1) * B * F);
  }
  const out = new Float32Array(rows.length * F);
  for (let r = 0; r < rows.length; r++) {
    const src = (t * B + rows[r]) * F;
    out.set(x.subarray(src, src + F), r * F);
  }
  return out;
}

/**
 * The batch's state and row map cut to `size` rows when that is fewer than it has: the rows not
 * yet spiked first (in order), then spiked ones as padding up to the bucket size. The old state
 * tensors are disposed when cut.
 */
export function shrinkRows(
  state: tf.Tensor[],
  rows: Int32Array<ArrayBuffer>,
  fired: ArrayLike<boolean | number>,
  size: number,
): { state: tf.Tensor[]; rows: Int32Array<ArrayBuffer> } {
  const n = rows.length;
  if (size >= n) return { state, rows };
  const keep: number[] = [];
  for (let r = 0; r < n && keep.length < size; r++) if (!fired[rows[r]]) keep.push(r);
  for (let r = 0; r < n && keep.length < size; r++) if (fired[rows[r]]) keep.push(r);
  const idx = tf.tensor1d(keep, "int32");
  const next = state.map((s) => tf.gather(s, idx, 0));
  tf.dispose([idx, ...state]);
  return { state: next, rows: Int32Array.from(keep, (r) => rows[r]) };
}

/** Runs the model over `test` in chunks, all steps, and joins the traces. */
export async function testTraces(
  model: RecurrentModel,
  test: SequenceBatch,
  readout: Readout,
  chunk = 1000,
): Promise<Traces> {
  // The model's own bound on a forward pass's batch, if smaller (its scratch must fit the heap).
  chunk = Math.min(chunk, model.maxTraceBatch?.() ?? chunk);
  const T = test.numSteps;
  const B = test.batchSize;
  const confidence = new Float32Array(T * B);
  const label = new Int32Array(T * B);
  for (let start = 0; start < B; start += chunk) {
    const rows = Int32Array.from({ length: Math.min(chunk, B - start) }, (_, i) => start + i);
    const { traces } = await traceBatch(model, selectRows(test, rows), { readout });
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < rows.length; r++) {
        confidence[t * B + start + r] = traces.confidence[t * rows.length + r];
        label[t * B + start + r] = traces.label[t * rows.length + r];
      }
    }
  }
  return { numSteps: T, batchSize: B, confidence, label };
}
