/**
 * ms per training batch on the webgpu backend through fit()'s step runner (what fit() runs),
 * RC against EOS, for the paper's other models: the ConvLSTM of temporal MNIST (ConvLSTM-20 3x3
 * on 28x28 frames, T = 10), the keyword model (LSTM 128 + FC 32 ReLU + FC 11 softmax, clipped at
 * 0.25, T = 81, 20 features; the WebGPU engine) and the LIF network of App. E (2 x conv 3x3 32,
 * FC 128, 10; T = 10). Per batch: wall ms (the runner's step, then its flush: waiting for the
 * batch, its loss read back, and on the engine its step counts and the weights copied back),
 * forward and backward example-steps, readbacks (GPU buffer maps, the flush's included), and the
 * realised ratio: wall saving / step saving, the step saving counted in FLOPs (forward + 2 x
 * backward example-steps, fit()'s count).
 *
 * The models are untrained, so RC's threshold is set from their own confidences: the value at
 * which batch 0's mean first spike is nearest `--spike-fraction` of T (default 0.35, the
 * 2-sequence protocol's 14 of 40). Inputs are synthetic (binary frames, firing probability 0.2;
 * Gaussian features), seeded. One untimed warm-up batch per mode (shader compilation), then the
 * modes alternate batch by batch (the machine is shared; its speed drifts).
 *
 *   deno run -A bench/webgpu_models.ts [--models conv,kws,lif] [--batches 1]
 *     [--conv-batch 16] [--kws-batch 128] [--lif-batch 16] [--spike-fraction 0.35]
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { describeAdapter, initBackend } from "../lib/backend.ts";
import "../lib/accel/register.ts"; // the accelerators the path chooser picks from
import { randomBatch, type SequenceBatch } from "../lib/data/batch.ts";
import { releaseGpuEngines } from "../lib/accel/gpu_fit.ts";
import { ConvLstm } from "../lib/models/conv_lstm.ts";
import { LifNet } from "../lib/models/lif_net.ts";
import { Lstm } from "../lib/models/lstm.ts";
import type { RecurrentModel } from "../lib/models/model.ts";
import { traceBatch } from "../lib/rc/infer.ts";
import { firstSpikes, type Readout } from "../lib/rc/spike.ts";
import { type FitOptions, stepRunner } from "../lib/rc/train.ts";
import { type ComputeCounts, zeroCounts } from "../lib/rc/types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    models: { type: "string", default: "conv,kws,lif" },
    batches: { type: "string", default: "1" },
    "conv-batch": { type: "string", default: "16" },
    "kws-batch": { type: "string", default: "128" },
    "lif-batch": { type: "string", default: "16" },
    "spike-fraction": { type: "string", default: "0.35" },
  },
});
await initBackend("webgpu");
const adapter = await describeAdapter();
const numBatches = Number(values.batches);
const spikeFraction = Number(values["spike-fraction"]);

// Every GPU->CPU readback goes through GPUBuffer.mapAsync (tfjs's data() and the engine's).
let maps = 0;
const mapAsync = GPUBuffer.prototype.mapAsync;
GPUBuffer.prototype.mapAsync = function (...args: Parameters<typeof mapAsync>) {
  maps++;
  return mapAsync.apply(this, args);
};

interface Spec {
  label: string;
  make(): RecurrentModel;
  readout: Readout;
  numSteps: number;
  batchSize: number;
  numFeatures: number;
  numClasses: number;
  /** Binary frames with this firing probability, else Gaussian features. */
  frames?: number;
  clipNorm?: number;
}

const SPECS: Record<string, Spec> = {
  conv: {
    label: "ConvLSTM-20 3x3, 28x28, T = 10",
    make: () => new ConvLstm({ hiddenChannels: 20, kernelSize: 3, numOutputs: 10, seed: 1 }),
    readout: "softmax",
    numSteps: 10,
    batchSize: Number(values["conv-batch"]),
    numFeatures: 784,
    numClasses: 10,
    frames: 0.2,
  },
  kws: {
    label: "keyword LSTM 20-128-32-11, T = 81, clip 0.25",
    make: () =>
      new Lstm({ numInputs: 20, hiddenSize: 128, readoutHidden: [32], numOutputs: 11, seed: 1 }),
    readout: "softmax",
    numSteps: 81,
    batchSize: Number(values["kws-batch"]),
    numFeatures: 20,
    numClasses: 11,
    clipNorm: 0.25,
  },
  lif: {
    label: "LIF net 2x conv3x3 32, FC 128, 10; T = 10",
    make: () => new LifNet({ numOutputs: 10, seed: 1 }),
    readout: "lif",
    numSteps: 10,
    batchSize: Number(values["lif-batch"]),
    numFeatures: 784,
    numClasses: 10,
    frames: 0.2,
  },
};

function batchOf(s: Spec, i: number): SequenceBatch {
  return randomBatch(s, 500 + i);
}

/** The confidence at which batch 0's mean first spike is nearest `spikeFraction` of T. */
async function thresholdFor(s: Spec, model: RecurrentModel): Promise<number> {
  const batch = batchOf(s, 0);
  const { traces } = await traceBatch(model, batch, { readout: s.readout });
  const candidates = [...new Set(traces.confidence)].sort((a, b) => a - b);
  const target = spikeFraction * (s.numSteps - 1);
  let [lo, hi] = [0, candidates.length - 1];
  const meanAt = (k: number) => {
    const steps = firstSpikes(traces, candidates[k]).steps;
    return steps.reduce((a, t) => a + t, 0) / steps.length;
  };
  while (hi - lo > 1) { // the mean first spike rises with θ
    const mid = (lo + hi) >> 1;
    if (meanAt(mid) < target) lo = mid;
    else hi = mid;
  }
  return Math.abs(meanAt(lo) - target) <= Math.abs(meanAt(hi) - target)
    ? candidates[lo]
    : candidates[hi];
}

interface Tally {
  ms: number[];
  readbacks: number;
  compute: ComputeCounts;
}

const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};
say(
  `webgpu models, ms per training batch through fit()'s step runner; adapter ${
    adapter?.description ?? "none"
  } (fallback: ${adapter?.isFallbackAdapter}), WEBGPU_CPU_FORWARD ${
    tf.env().getBool("WEBGPU_CPU_FORWARD")
  }; ${numBatches} timed batch(es) per mode after one warm-up; ${new Date().toISOString()}`,
);
for (const key of values.models!.split(",")) {
  const s = SPECS[key];
  if (!s) throw new Error(`unknown model ${key}: expected one of ${Object.keys(SPECS)}`);
  const probe = s.make();
  const threshold = await thresholdFor(s, probe);
  if (probe instanceof Lstm) releaseGpuEngines(probe);
  tf.dispose(probe.variables);
  const modes = ["rc", "eos"] as const;
  const models = modes.map(() => s.make());
  const runners = modes.map((method, k) => {
    const opts: FitOptions = {
      method,
      readout: s.readout,
      threshold,
      beta: 0,
      learningRate: 1e-3,
      clipNorm: s.clipNorm,
      numBatches: numBatches + 1,
      trainBatch: (i) => batchOf(s, i),
      validation: batchOf(s, 0),
      validateEvery: numBatches + 1,
    };
    return stepRunner(models[k], opts);
  });
  const tallies: Tally[] = modes.map(() => ({ ms: [], readbacks: 0, compute: zeroCounts() }));
  for (let i = 0; i <= numBatches; i++) {
    const batch = batchOf(s, i);
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const warm = i === 0;
      const compute = warm ? zeroCounts() : tallies[k].compute;
      maps = 0;
      const began = performance.now();
      await runners[k].step(batch, compute);
      // Waits for the batch and reads its loss (and, on the engine, the GPU's step counts).
      await runners[k].flush(compute);
      const ms = performance.now() - began;
      if (!warm) {
        tallies[k].ms.push(ms);
        tallies[k].readbacks += maps;
      }
    }
    // Counts the engine keeps on the GPU since the last flush: drop the warm-up's.
    if (i === 0) { for (const r of runners) await r.flush(zeroCounts()); }
  }
  runners.forEach((r) => r.dispose());
  models.forEach((m) => {
    if (m instanceof Lstm) releaseGpuEngines(m);
    tf.dispose(m.variables);
  });
  const [rc, eos] = tallies.map((t) => ({
    ms: t.ms.reduce((a, b) => a + b, 0) / t.ms.length,
    forward: t.compute.forwardSteps / numBatches,
    backward: t.compute.backwardSteps / numBatches,
    flops: t.compute.flops / numBatches,
    readbacks: t.readbacks / numBatches,
    all: t.ms,
  }));
  const wallSaving = 1 - rc.ms / eos.ms;
  const stepSaving = 1 - rc.flops / eos.flops;
  say(
    `${s.label}, batch ${s.batchSize}, θ ${threshold.toPrecision(4)} (path ${
      runners[0].path.name
    }):`,
  );
  for (const [name, r] of [["RC", rc], ["EOS", eos]] as const) {
    say(
      `  ${name.padEnd(3)} ${r.ms.toFixed(0).padStart(7)} ms/batch (${
        r.all.map((x) => x.toFixed(0)).join(", ")
      }); forward ${r.forward.toFixed(0)}, backward ${r.backward.toFixed(0)} example-steps; ${
        r.readbacks.toFixed(1)
      } readbacks/batch`,
    );
  }
  say(
    `  step saving (FLOPs) ${(100 * stepSaving).toFixed(1)} %, wall saving ${
      (100 * wallSaving).toFixed(1)
    } %, realised ratio ${(wallSaving / stepSaving).toFixed(2)}`,
  );
}
