/**
 * A WebGPU training engine for the LSTM: one batch's forward pass, RC spike finding, loss, BPTT,
 * the weight gradients and Adam, encoded by hand into one or two command buffers of WGSL compute
 * dispatches, with no tfjs op at all.
 *
 * Why: tfjs issues every op as its own program, ~0.14 ms each on an H100 with ~24 per time step
 * even with the fused cell (bench/README.md), so an LSTM step cost 3.4 ms where cuDNN's whole
 * sequence takes 2.2 ms. Here a time step is one dispatch forward and one backward, encoded
 * straight into the pass; everything else (the input projection of all steps, the readout of all
 * steps, the loss, the readout's backward, the weight gradients and Adam) is a few batched
 * dispatches per iteration.
 *
 * Semantics equal `nativeLossAndGrads` (lib/accel/cpu_engine.ts) and the tfjs paths, checked in
 * tests: each example's loss at its first spike (confidence >= θ, or the last step) or at given
 * steps; mean over the batch of `L - βH`; gradients in `model.variables` order. Adam as tfjs's
 * (ε = 1e-7, bias corrections from the step count), optionally after clipping the gradients' global
 * L2 norm as fit()'s tfjs path does (`clipByGlobalNorm`): the norm is reduced on the GPU and Adam
 * scales each gradient by min(1, clipNorm / max(norm, 1e-12)), with no readback. Every step also
 * counts, on the GPU, whether its loss or gradient norm was non-finite (read with `readTotals`).
 *
 * How RC skips work here: with given loss steps (EOS, or the benches' fixed t_sp) the forward and
 * backward passes encode only the steps up to the last loss step. With a threshold, which step
 * every example spikes at is known only on the GPU (`GpuStepOptions.halting`): by default the GPU
 * lists, after each step's readout, the examples still running and sizes the later dispatches
 * itself, with no readback; "readback" runs all T steps forward, reads the loss steps back and
 * encodes the backward steps up to the latest spike; "mask" encodes all T and masks the rest.
 *
 * Memory: one storage buffer holds weights, gradients, Adam's moments and every activation (offsets
 * in floats); a second holds five atomics (the latest loss step + 1, the example-steps needed, the
 * non-finite steps, the first of them + 1, and the workgroups of the indirect dispatches);
 * per-dispatch parameters sit in a uniform buffer at 256-byte slots, bound with a dynamic offset.
 *
 * The parts, under `gpu/`: `kernels/` the WGSL (one module per concern, `kernels/mod.ts` the table
 * of them); `layout.ts` the offsets; `buffers.ts` the GPU buffers and readbacks; `products.ts` and
 * `plan.ts` an iteration as lists of dispatches (no GPU); `dispatcher.ts` encodes and submits them.
 * This module holds the engine: what one iteration asks for, checked, and in what order it runs.
 * @module
 */
import type { SequenceBatch } from "../data/batch.ts";
import type { Readout } from "../rc/spike.ts";
import { EngineBuffers } from "./gpu/buffers.ts";
import { type Dispatch, Dispatcher } from "./gpu/dispatcher.ts";
import type { Kernel } from "./gpu/kernels/mod.ts";
import { type GpuLstmShape, Layout } from "./gpu/layout.ts";
import { type AdamSettings, readoutCode, StepPlan } from "./gpu/plan.ts";

export type { GpuLstmShape } from "./gpu/layout.ts";
export type { AdamSettings } from "./gpu/plan.ts";

/** What `readTotals` returns: sums over the steps since its last call. */
export interface GpuTotals {
  /** Σ of the steps' losses (each the mean over its batch). */
  lossSum: number;
  /** Σ over steps and examples of loss step + 1. */
  neededSteps: number;
  /** Steps taken. */
  steps: number;
  /** Steps whose loss or gradient norm was NaN or ±Inf. */
  nonFiniteSteps: number;
  /** Index among those `steps` of the first non-finite one; -1 when none. */
  firstNonFiniteStep: number;
  /** Workgroups dispatched: the host's direct dispatches plus those the GPU sized (indirect). */
  workgroups: number;
}

/** What one iteration asks for. */
export interface GpuStepOptions {
  readout: Readout;
  beta: number;
  /** RC: each example's loss at its first spike. Exactly one of this and `steps`. */
  threshold?: number;
  /** Given loss steps (EOS: all T - 1). */
  steps?: Int32Array;
  /** Apply Adam after the gradients (default: true when the engine has Adam settings). */
  adam?: boolean;
  /**
   * How the steps after each example's loss step are skipped (default "gpu" with a threshold,
   * "mask" with given steps):
   * - "gpu": halting decided on the GPU, no readback: after each step's readout the GPU lists the
   *   examples still running and sizes the later dispatches (`dispatchWorkgroupsIndirect`); the
   *   forward step, readout, backward step and gradient sums run over those examples only.
   * - "readback": the forward pass runs every step for every example, the loss steps are read
   *   back (~11 ms in Deno), and the backward pass encodes the steps up to the latest of them.
   * - "mask": every step for every example, the backward pass masked after each loss step (with
   *   given steps: up to the latest of them).
   */
  halting?: "gpu" | "readback" | "mask";
  /** @deprecated use `halting`: true is "readback", false "mask". */
  haltReadback?: boolean;
}

/**
 * The engine for one model shape, batch size and sequence length. Weights live on the GPU from
 * `create` on; `readWeights` brings them back.
 */
export class GpuLstmEngine {
  readonly device: GPUDevice;
  readonly shape: GpuLstmShape;
  readonly T: number;
  readonly B: number;
  /** Forward and backward steps encoded by the last `step` (example-steps are these times B). */
  lastForwardSteps = 0;
  lastBackwardSteps = 0;
  /** Dispatches encoded by the last `step`. */
  lastDispatches = 0;
  /** Whether the last `step` halted on the GPU (then its example-steps are `readTotals`' needed). */
  lastHalting: "gpu" | "readback" | "mask" = "mask";
  private adamSettings: AdamSettings | null;
  private adamStep = 0;
  private layout: Layout;
  private plan: StepPlan;
  private buffers: EngineBuffers;
  private dispatcher: Dispatcher;
  private stepsSinceTotals = 0;

  private constructor(
    device: GPUDevice,
    shape: GpuLstmShape,
    T: number,
    B: number,
    adam: AdamSettings | null,
  ) {
    this.device = device;
    this.shape = shape;
    this.T = T;
    this.B = B;
    this.adamSettings = adam;
    this.layout = new Layout(shape, T, B);
    this.plan = new StepPlan(this.layout);
    this.buffers = new EngineBuffers(device, this.layout);
    // Room for one iteration's dispatches: at most K + 3 per step, and a few dozen more.
    const slots = T * (this.layout.K + 6) + 64;
    // Compiled now; the rest on first use.
    const eager: Kernel[] = ["matmul", "cellForward", "take", "cellBackward"];
    this.dispatcher = new Dispatcher(device, this.buffers, slots, eager);
    for (const [at, values] of this.layout.constants()) this.buffers.write(at, values);
  }

  /**
   * An engine on `device` for `shape`, sequences of `T` steps and batches of `B`, holding
   * `weights` (in `model.variables` order: W, U, b, then weight and bias of each readout layer).
   * With `adam`, `step` also applies Adam (moments start at zero).
   */
  static async create(
    device: GPUDevice,
    shape: GpuLstmShape,
    weights: Float32Array[],
    sizes: { T: number; B: number },
    adam: AdamSettings | null = null,
  ): Promise<GpuLstmEngine> {
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    const engine = new GpuLstmEngine(device, shape, sizes.T, sizes.B, adam);
    const invalid = await device.popErrorScope();
    const outOfMemory = await device.popErrorScope();
    const error = invalid ?? outOfMemory;
    if (error) {
      engine.destroy();
      throw new Error(
        `gpu_engine: WebGPU refused the engine (${engine.bytes} bytes for T ${sizes.T}, ` +
          `B ${sizes.B}, hidden ${shape.hiddenSize}): ${error.message}`,
      );
    }
    engine.writeWeights(weights);
    return engine;
  }

  /** Replaces the weights (`model.variables` order) and resets Adam. */
  writeWeights(weights: Float32Array[]): void {
    const { sizes } = this.layout;
    if (weights.length !== sizes.length) {
      throw new Error(
        `gpu_engine: ${weights.length} weight arrays, the model has ${sizes.length}`,
      );
    }
    weights.forEach((w, k) => {
      if (w.length !== sizes[k]) {
        throw new Error(
          `gpu_engine: weight ${k} has ${w.length} values, expected ${sizes[k]}`,
        );
      }
    });
    const flat = this.flat(weights);
    this.buffers.write(this.layout.off.weights, flat);
    const zeros = new Float32Array(flat.length);
    this.buffers.write(this.layout.off.adamM, zeros);
    this.buffers.write(this.layout.off.adamV, zeros);
    this.adamStep = 0;
  }

  /**
   * Encodes and submits one iteration: forward, loss, backward, gradients and (with Adam) the
   * update. Returns once it is submitted (or, with a threshold and halting "readback", once the
   * loss steps are read back between the two halves); read results with `readLoss`, `readSteps`,
   * `readGrads`, `readWeights`.
   */
  async step(batch: SequenceBatch, opts: GpuStepOptions): Promise<void> {
    const halting = this.checkStep(batch, opts);
    const onGpu = halting === "gpu";
    const { given, nForward } = this.lossSteps(opts);
    this.upload(batch, nForward);
    this.buffers.write(this.layout.off.y, Int32Array.from(batch.y));
    this.buffers.write(this.layout.off.given, given);
    const first = this.plan.forwardAndLoss(nForward, {
      readoutCode: readoutCode(opts.readout),
      threshold: opts.threshold ?? 0,
      beta: opts.beta,
      halt: onGpu,
    });
    const stepIndex = this.stepsSinceTotals++;
    // With the readback the first half runs alone, and the backward pass stops at the latest loss
    // step; otherwise both halves go in one submission.
    let nBackward = nForward;
    let slot = 0;
    const second: Dispatch[] = [];
    if (opts.threshold !== undefined && halting === "readback") {
      slot = this.submit(first, 0);
      const steps = await this.readSteps();
      nBackward = Math.max(...steps) + 1;
    } else {
      second.push(...first);
    }
    second.push(
      ...this.plan.backward(nBackward, onGpu),
      ...this.plan.gradientNorm(stepIndex, this.adamSettings?.clipNorm ?? 0),
    );
    if (this.adamSettings && (opts.adam ?? true)) {
      second.push(this.plan.adam(this.adamSettings, ++this.adamStep));
    }
    this.submit(second, slot);
    this.lastForwardSteps = nForward;
    this.lastBackwardSteps = nBackward;
    this.lastHalting = halting;
  }

  /** Throws unless `batch` and `opts` make an iteration; returns how it halts. */
  private checkStep(batch: SequenceBatch, opts: GpuStepOptions): "gpu" | "readback" | "mask" {
    this.checkBatch(batch);
    if ((opts.threshold === undefined) === (opts.steps === undefined)) {
      throw new Error("gpu_engine: give exactly one of threshold (RC) and steps");
    }
    this.checkReadout(opts.readout);
    const halting = opts.halting ??
      (opts.haltReadback !== undefined
        ? (opts.haltReadback ? "readback" : "mask")
        : opts.threshold !== undefined
        ? "gpu"
        : "mask");
    if (!["gpu", "readback", "mask"].includes(halting)) {
      throw new Error(
        `gpu_engine: halting is "gpu", "readback" or "mask": current value is ${halting}`,
      );
    }
    return halting;
  }

  /**
   * Each example's given loss step (-1: RC, its first spike) and the steps the forward pass runs:
   * all T for RC, up to the latest given step otherwise.
   */
  private lossSteps(opts: GpuStepOptions): { given: Int32Array<ArrayBuffer>; nForward: number } {
    const { T, B } = this;
    const given = opts.steps ? Int32Array.from(opts.steps) : new Int32Array(B).fill(-1);
    let nForward = T;
    if (opts.steps) {
      let max = 0;
      for (const s of opts.steps) {
        if (!(s >= 0 && s < T)) throw new Error(`gpu_engine: loss step ${s} outside [0, ${T})`);
        max = Math.max(max, s);
      }
      nForward = max + 1;
    }
    return { given, nForward };
  }

  /** Throws unless the model's outputs suit `readout`. */
  private checkReadout(readout: Readout): void {
    const O = this.shape.numOutputs;
    if (readout === "binary" && O !== 1) {
      throw new Error(`The binary readout needs 1 output unit: the model has ${O}.`);
    }
  }

  /** Throws unless `batch` has the engine's sizes. */
  private checkBatch(batch: SequenceBatch): void {
    const { T, B } = this;
    const F = this.shape.numInputs;
    if (batch.numSteps !== T || batch.batchSize !== B || batch.numFeatures !== F) {
      throw new Error(
        `gpu_engine: batch is T ${batch.numSteps}, B ${batch.batchSize}, F ${batch.numFeatures}; ` +
          `the engine was made for T ${T}, B ${B}, F ${F}`,
      );
    }
  }

  /** Checks `batch` and uploads its first `steps` steps of inputs. */
  private upload(batch: SequenceBatch, steps: number): void {
    this.checkBatch(batch);
    const x = batch.x as Float32Array<ArrayBuffer>;
    this.buffers.write(this.layout.off.x, x, steps * this.B * this.shape.numInputs);
  }

  /** Submits `list` from uniform slot `from` on; returns the next free slot. */
  private submit(list: Dispatch[], from: number): number {
    this.lastDispatches = this.dispatcher.submit(list, from);
    return this.lastDispatches;
  }

  /**
   * Inference: the logits of every step of `batch` (`[T, B, O]`, step-major), all T steps run.
   */
  async logits(batch: SequenceBatch): Promise<Float32Array> {
    this.upload(batch, this.T);
    this.submit(this.plan.forward(this.T), 0);
    const count = this.T * this.B * this.shape.numOutputs;
    return new Float32Array(await this.buffers.read(this.layout.logits.out, count));
  }

  /**
   * RC-inference halting on the GPU: each example runs until its first spike (confidence >= θ
   * under `readout`, or the last step) and no further, decided on the GPU as in training. Returns
   * the logits (`[T, B, O]`, step-major; only the rows t <= steps[b] are this batch's, the rest
   * are stale) and each example's spike step, in one readback.
   */
  async haltingLogits(
    batch: SequenceBatch,
    opts: { readout: Readout; threshold: number },
  ): Promise<{ logits: Float32Array; steps: Int32Array }> {
    const { T, B } = this;
    const O = this.shape.numOutputs;
    this.checkReadout(opts.readout);
    this.upload(batch, T);
    this.buffers.write(this.layout.off.given, new Int32Array(B).fill(-1));
    const halt = { readoutCode: readoutCode(opts.readout), threshold: opts.threshold };
    this.submit(this.plan.forward(T, halt), 0);
    const [logits, steps] = await this.buffers.readRanges([
      [this.layout.logits.out, T * B * O],
      [this.layout.off.steps, B],
    ]);
    return { logits: new Float32Array(logits), steps: new Int32Array(steps) };
  }

  /**
   * Sums kept on the GPU over every `step` since the last call (no readback per step): the
   * losses (each step's mean over its batch), the example-steps needed (loss step + 1 per
   * example), the steps whose loss or gradient norm was NaN or ±Inf and the index of the first
   * of them among the `steps` (-1: none). Reading them costs one readback; it resets them.
   */
  async readTotals(): Promise<GpuTotals> {
    const [loss] = new Float32Array(await this.buffers.read(this.layout.off.lossTotal, 1));
    const [, needed, nonFiniteSteps, first, indirect] = await this.buffers.readCtl();
    const steps = this.stepsSinceTotals;
    this.stepsSinceTotals = 0;
    const workgroups = this.dispatcher.directWorkgroups + indirect;
    this.dispatcher.directWorkgroups = 0;
    this.buffers.write(this.layout.off.lossTotal, new Float32Array(1));
    this.device.queue.writeBuffer(this.buffers.ctl, 4, new Uint32Array(4));
    return {
      lossSum: loss,
      neededSteps: needed,
      steps,
      nonFiniteSteps,
      firstNonFiniteStep: first - 1,
      workgroups,
    };
  }

  /** The last iteration's global L2 norm of the gradients (before clipping). */
  async readGradNorm(): Promise<number> {
    return new Float32Array(await this.buffers.read(this.layout.off.gradNorm, 1))[0];
  }

  /**
   * GPU time per phase of every `step` from now on, read with `readTiming` (needs a device made
   * with the "timestamp-query" feature). Each phase then runs in its own compute pass.
   */
  enableTiming(on = true): void {
    this.dispatcher.enableTiming(on);
  }

  /** GPU milliseconds per phase, summed over the steps since the last call. */
  readTiming(): Promise<Record<string, number>> {
    return this.dispatcher.readTiming();
  }

  /** The last iteration's loss: mean over the batch of `L - βH`. */
  async readLoss(): Promise<number> {
    const per = new Float32Array(await this.buffers.read(this.layout.off.loss, this.B));
    return per.reduce((a, b) => a + b, 0);
  }

  /** Where each example took its loss in the last iteration. */
  async readSteps(): Promise<Int32Array> {
    return new Int32Array(await this.buffers.read(this.layout.off.steps, this.B));
  }

  /** The last iteration's gradients, in `model.variables` order. */
  readGrads(): Promise<Float32Array[]> {
    return this.readVariables(this.layout.off.grads);
  }

  /** The weights, in `model.variables` order. */
  readWeights(): Promise<Float32Array[]> {
    return this.readVariables(this.layout.off.weights);
  }

  /** Adam's moments per variable and its step count (two readbacks; waits for the GPU). */
  async readAdam(): Promise<{ m: Float32Array[]; v: Float32Array[]; step: number }> {
    return {
      m: await this.readVariables(this.layout.off.adamM),
      v: await this.readVariables(this.layout.off.adamV),
      step: this.adamStep,
    };
  }

  /** Restores Adam's moments and step count (after `writeWeights`, which resets them). */
  writeAdam(m: Float32Array[], v: Float32Array[], step: number): void {
    this.buffers.write(this.layout.off.adamM, this.flat(m));
    this.buffers.write(this.layout.off.adamV, this.flat(v));
    this.adamStep = step;
  }

  /** Per-variable arrays (`model.variables` order) as the one flat array of the buffer. */
  private flat(parts: Float32Array[]): Float32Array<ArrayBuffer> {
    const out = new Float32Array(this.layout.paramCount);
    parts.forEach((p, k) => out.set(p, this.layout.weightOff[k]));
    return out;
  }

  /** The flat weights (or gradients, or a moment) at `at`, split per variable: one readback. */
  private async readVariables(at: number): Promise<Float32Array[]> {
    const { sizes, weightOff, paramCount } = this.layout;
    const all = new Float32Array(await this.buffers.read(at, paramCount));
    return sizes.map((n, k) => all.slice(weightOff[k], weightOff[k] + n));
  }

  /** Bytes of GPU memory the engine holds. */
  get bytes(): number {
    return this.buffers.bytes + this.dispatcher.bytes;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    this.buffers.destroy();
    this.dispatcher.destroy();
  }
}
