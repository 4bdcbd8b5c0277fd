/**
 * The WebGPU engine (lib/accel/gpu_engine.ts) inside `fit()` and `traceBatch()` on the webgpu
 * backend, for an `Lstm`, on tfjs's own device.
 *
 * Training (`GpuTrainer`): the engine holds the weights and Adam's moments for the whole of
 * `fit()`; no readback per batch (losses, needed example-steps and dispatched workgroups are summed
 * on the GPU and read at validation points, where the weights also go back into the model's
 * variables). With a threshold the engine halts on the GPU: after each step the GPU lists the
 * examples that have not spiked and sizes the later dispatches to them, so the steps after each
 * example's spike are skipped forward and backward without reading anything back (a readback costs
 * ~11 ms in Deno, an H100 step ~15 us). The example-steps computed are then known only on the GPU
 * and are counted from its totals.
 *
 * Inference (`gpuTraces`): the batch in chunks of up to 256 examples, the logits read back once per
 * chunk, confidences and labels computed on the host as the CPU engine computes them. With a
 * halting threshold the GPU halts each example at its first spike (as in training) and reads back
 * the steps it stopped at with the logits: nothing is computed or recorded after a spike. Without
 * one, all T steps run.
 *
 * `gpuRunner` is fit()'s runner on a `GpuTrainer` (lib/rc/runner.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { selectRows, type SequenceBatch } from "../data/batch.ts";
import { Lstm } from "../models/lstm.ts";
import { type RecurrentModel, writeVariables } from "../models/model.ts";
import { argmaxLabel, confidence } from "../rc/readout.ts";
import { GpuLstmEngine, type GpuStepOptions, type GpuTotals } from "./gpu_engine.ts";
import type { Readout } from "../rc/spike.ts";
import { checkOptimizerState, type OptimizerState } from "../rc/checkpoint.ts";
import type { PathChoice } from "../rc/paths.ts";
import { lossAt, type StepRunner } from "../rc/runner.ts";
import type { FitOptions } from "../rc/train.ts";

let enabled = true;

/** Turns the GPU engine in fit()/traceBatch() on or off; returns the previous value. */
export function setGpuEngineEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether the GPU engine runs now: webgpu backend, not turned off. */
export function gpuEngineAvailable(): boolean {
  return enabled && tf.getBackend() === "webgpu";
}

/** `model` when the GPU engine runs it now (an `Lstm` on webgpu), else null. */
export function gpuEngineModel(model: RecurrentModel): Lstm | null {
  return gpuEngineAvailable() && model instanceof Lstm ? model : null;
}

/** tfjs-webgpu's device (the engine's buffers live beside tfjs's). */
function tfjsDevice(): GPUDevice {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device) throw new Error("gpu_fit: the webgpu backend exposes no device");
  return device;
}

async function weightsOf(model: Lstm): Promise<Float32Array[]> {
  return await Promise.all(model.variables.map(async (v) => (await v.data()) as Float32Array));
}

/** The examples per inference chunk. */
const CHUNK = 256;
const inference = new WeakMap<Lstm, Map<string, GpuLstmEngine>>();

/** Frees the inference engines cached for `model`. */
export function releaseGpuEngines(model: Lstm): void {
  for (const engine of inference.get(model)?.values() ?? []) engine.destroy();
  inference.delete(model);
}

/**
 * Per-step traces of `batch` (`[T, B]` confidence and label) through the GPU engine, as
 * `traceBatch` records them; with `haltThreshold`, NaN / -1 after each example's first spike.
 */
export async function gpuTraces(
  model: Lstm,
  batch: SequenceBatch,
  opts: { readout: Readout; haltThreshold?: number },
): Promise<
  { confidence: Float32Array; label: Int32Array; stepsComputed: number; stepsRun: number }
> {
  const { numSteps: T, batchSize: B } = batch;
  const O = model.numOutputs;
  const weights = await weightsOf(model);
  const engines = inference.get(model) ?? new Map<string, GpuLstmEngine>();
  inference.set(model, engines);
  const confidenceOut = new Float32Array(T * B).fill(NaN);
  const label = new Int32Array(T * B).fill(-1);
  const threshold = opts.haltThreshold ?? Infinity;
  let stepsComputed = 0;
  let stepsRun = 0;
  for (let from = 0; from < B; from += CHUNK) {
    const n = Math.min(CHUNK, B - from);
    const key = `${T}x${n}`;
    let engine = engines.get(key);
    if (!engine) {
      engine = await GpuLstmEngine.create(tfjsDevice(), model, weights, { T, B: n });
      engines.set(key, engine);
    } else {
      engine.writeWeights(weights);
    }
    const rows = Int32Array.from({ length: n }, (_, i) => from + i);
    const part = n === B ? batch : selectRows(batch, rows);
    const halting = Number.isFinite(threshold)
      ? await engine.haltingLogits(part, { readout: opts.readout, threshold })
      : null;
    const logits = halting?.logits ?? await engine.logits(part);
    for (let r = 0; r < n; r++) {
      // Halting: up to the step the GPU stopped this example at (rows after it are stale).
      const last = halting ? halting.steps[r] : T - 1;
      stepsComputed += last + 1;
      stepsRun = Math.max(stepsRun, last + 1);
      for (let t = 0; t <= last; t++) {
        const at = (t * n + r) * O;
        const c = Math.fround(confidence(logits, at, O, opts.readout));
        confidenceOut[t * B + from + r] = c;
        label[t * B + from + r] = argmaxLabel(logits, at, O, opts.readout);
        if (c >= threshold) break;
      }
    }
  }
  return { confidence: confidenceOut, label, stepsComputed, stepsRun };
}

export type { GpuTotals };

/** What a training step encoded, for fit()'s compute accounting. */
export interface GpuStepCounts {
  forwardExampleSteps: number;
  backwardExampleSteps: number;
  /**
   * The step halted on the GPU: the example-steps it ran (forward and backward alike: Σ t_sp + 1)
   * are in `totals().neededSteps`, and the two counts above are 0.
   */
  onGpu: boolean;
}

/** The engine with the weights and Adam for one `fit()`. */
export class GpuTrainer {
  private constructor(readonly engine: GpuLstmEngine, private model: Lstm) {}

  /**
   * A trainer for batches of `T` steps and `B` examples, starting from the model's weights. With
   * `clipNorm`, each step's gradients are clipped to that global L2 norm before Adam, on the GPU.
   */
  static async create(
    model: Lstm,
    sizes: { T: number; B: number },
    learningRate: number,
    opts: { clipNorm?: number } = {},
  ): Promise<GpuTrainer> {
    const clipNorm = opts.clipNorm;
    if (clipNorm !== undefined && !(clipNorm > 0 && Number.isFinite(clipNorm))) {
      throw new Error(
        `GpuTrainer: clipNorm must be a positive finite number: current value is ${clipNorm} ` +
          `(leave it out for no clipping)`,
      );
    }
    const engine = await GpuLstmEngine.create(tfjsDevice(), model, await weightsOf(model), sizes, {
      learningRate,
      clipNorm,
    });
    return new GpuTrainer(engine, model);
  }

  /** One training step (forward, loss, backward, Adam), submitted; nothing read back. */
  async step(
    batch: SequenceBatch,
    opts: Omit<GpuStepOptions, "adam" | "haltReadback" | "halting">,
  ): Promise<GpuStepCounts> {
    if (batch.numSteps !== this.engine.T || batch.batchSize !== this.engine.B) {
      throw new Error(
        `gpu_fit: a training batch of T ${batch.numSteps}, B ${batch.batchSize} after batches of ` +
          `T ${this.engine.T}, B ${this.engine.B}: the GPU engine trains on one batch shape ` +
          `(give batches of one shape, or setGpuEngineEnabled(false) for the tfjs path)`,
      );
    }
    const halting = opts.threshold !== undefined ? "gpu" : "mask";
    await this.engine.step(batch, { ...opts, adam: true, halting });
    const B = batch.batchSize;
    const onGpu = halting === "gpu";
    return {
      forwardExampleSteps: onGpu ? 0 : this.engine.lastForwardSteps * B,
      backwardExampleSteps: onGpu ? 0 : this.engine.lastBackwardSteps * B,
      onGpu,
    };
  }

  /**
   * Losses, needed example-steps, non-finite steps (count, and the first one's index among the
   * `steps`, -1 when none) and workgroups dispatched since the last call (one readback, waits for
   * the GPU).
   */
  totals(): Promise<GpuTotals> {
    return this.engine.readTotals();
  }

  /**
   * Adam's state. The engine keeps a step count t and forms β^t in float64; `acc1`/`acc2` are
   * β^t for the record; each path resumes exactly only on itself.
   */
  async exportState(): Promise<OptimizerState> {
    const a = await this.engine.readAdam();
    return { m: a.m, v: a.v, acc1: 0.9 ** a.step, acc2: 0.999 ** a.step, step: a.step };
  }

  /** Restores Adam's state saved by {@link exportState}. */
  importState(s: OptimizerState): void {
    checkOptimizerState(s, this.model.variables.map((v) => v.size), "GpuTrainer");
    this.engine.writeAdam(s.m, s.v, s.step);
  }

  /** Writes the engine's weights into the model's variables. */
  async syncToModel(): Promise<void> {
    writeVariables(this.model.variables, await this.engine.readWeights());
  }

  destroy(): void {
    this.engine.destroy();
  }
}

/**
 * The WebGPU engine, which holds the weights and Adam on the GPU: webgpu, an Lstm. Nothing is
 * read back per batch. RC halts on the GPU: the example-steps it ran, and the workgroups
 * dispatched, come from the GPU's totals at each validation point; EOS counts what it encoded.
 */
export function gpuRunner(model: Lstm, opts: FitOptions, path: PathChoice): StepRunner {
  let trainer: GpuTrainer | null = null;
  const flopsPerStep = model.flopsPerStep();
  let steps = 0;
  let haltedOnGpu = false;
  let pending: OptimizerState | null = null; // imported before the trainer exists
  return {
    path,
    async step(batch, compute) {
      trainer ??= await GpuTrainer.create(
        model,
        {
          T: batch.numSteps,
          B: batch.batchSize,
        },
        opts.learningRate,
        { clipNorm: opts.clipNorm },
      );
      if (pending) {
        trainer.importState(pending);
        pending = null;
      }
      const counts = await trainer.step(batch, lossAt(opts, batch));
      steps++;
      haltedOnGpu ||= counts.onGpu;
      compute.forwardSteps += counts.forwardExampleSteps;
      compute.backwardSteps += counts.backwardExampleSteps;
      compute.flops += flopsPerStep *
        (counts.forwardExampleSteps + 2 * counts.backwardExampleSteps);
      return null;
    },
    async flush(compute) {
      if (!trainer) throw new Error("fit: no training step before the first validation");
      const began = performance.now(); // waits for the GPU: the time counts as training
      const totals = await trainer.totals();
      await trainer.syncToModel();
      compute.wallSeconds += (performance.now() - began) / 1000;
      compute.forwardStepsNeeded += totals.neededSteps;
      if (haltedOnGpu) {
        // What the GPU ran, forward and backward: each example up to its loss step.
        compute.forwardSteps += totals.neededSteps;
        compute.backwardSteps += totals.neededSteps;
        compute.flops += flopsPerStep * 3 * totals.neededSteps;
      }
      compute.gpuWorkgroups = (compute.gpuWorkgroups ?? 0) + totals.workgroups;
      const meanLoss = totals.lossSum / totals.steps;
      // The GPU counts the steps whose loss or gradient norm was not finite (its loss sum can
      // stay finite when a step's values are NaN).
      const nonFinite = totals.nonFiniteSteps > 0
        ? { offset: totals.firstNonFiniteStep, what: "loss or gradient norm" }
        : !Number.isFinite(meanLoss)
        ? { offset: 0, what: `loss (sum over the last ${steps} batches ${totals.lossSum})` }
        : null;
      steps = 0;
      return { meanLoss, nonFinite };
    },
    async settle(compute) {
      const totals = await trainer?.totals();
      if (totals && compute && haltedOnGpu) {
        compute.forwardSteps += totals.neededSteps;
        compute.backwardSteps += totals.neededSteps;
        compute.forwardStepsNeeded += totals.neededSteps;
      }
    },
    async exportState() {
      if (!trainer) throw new Error("fit: no training step before the checkpoint");
      return await trainer.exportState();
    },
    importState(state) {
      pending = state;
      return Promise.resolve();
    },
    dispose() {
      trainer?.destroy();
    },
  };
}
