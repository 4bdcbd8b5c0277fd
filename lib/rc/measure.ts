/**
 * Measuring a trained model: its traces over a test set (once, any threshold after), timed RC-
 * against EOS-inference, and RC against EOS interleaved on the same batches ("paired"). Each goes
 * through the same path chooser as fit() and traceBatch().
 * @module
 */
import { selectRows, type SequenceBatch } from "../data/batch.ts";
import type { RecurrentModel } from "../models/model.ts";
import { spikeMetrics } from "./evaluate.ts";
import { traceBatch } from "./infer.ts";
import type { Readout } from "./spike.ts";
import type { StepRunner } from "./runner.ts";
import { type Method, stepRunner } from "./train.ts";
import { type ComputeCounts, type PairedTiming, zeroCounts } from "./types.ts";

export { testTraces } from "./infer.ts";

/**
 * Measured inference over `test` in batches of `batchSize`: RC-inference halts at the first
 * spikes; EOS-inference runs every step. Both read traces back the same way.
 */
export async function timeInference(
  model: RecurrentModel,
  test: SequenceBatch,
  opts: { method: Method; readout: Readout; threshold: number; batchSize: number },
): Promise<ComputeCounts> {
  const T = test.numSteps;
  const counts: ComputeCounts = zeroCounts();
  const full = Math.floor(test.batchSize / opts.batchSize) * opts.batchSize;
  for (let start = 0; start < full; start += opts.batchSize) {
    const rows = Int32Array.from({ length: opts.batchSize }, (_, i) => start + i);
    const batch = selectRows(test, rows);
    const began = performance.now();
    const { traces, stepsComputed } = await traceBatch(model, batch, {
      readout: opts.readout,
      haltThreshold: opts.method === "rc" ? opts.threshold : undefined,
    });
    counts.wallSeconds += (performance.now() - began) / 1000;
    counts.forwardSteps += stepsComputed;
    counts.forwardStepsNeeded += opts.method === "rc"
      ? spikeMetrics(traces, batch.y, opts.threshold).meanSpikeTime * batch.batchSize
      : batch.batchSize * T;
    counts.eosSteps += batch.batchSize * T;
    counts.examples += batch.batchSize;
  }
  counts.flops = counts.forwardSteps * model.flopsPerStep();
  return counts;
}

/**
 * RC against EOS on `model` as it is (trained), over the same `batches`, interleaved batch by
 * batch with the order alternating: a training step on the path fit() takes (the chooser's pick:
 * loss, gradients and the optimizer, at learning rate 0 so the weights stay) and inference (RC
 * halting at the first spikes, EOS all steps). One untimed warm-up of each first.
 */
export async function pairedTiming(
  model: RecurrentModel,
  batches: SequenceBatch[],
  opts: { readout: Readout; threshold: number; beta: number; clipNorm?: number },
): Promise<{ train: PairedTiming; inference: PairedTiming }> {
  const empty = (what: string): PairedTiming => ({
    batches: batches.length,
    batchSize: batches[0]?.batchSize ?? 0,
    rcSeconds: 0,
    eosSeconds: 0,
    rcSteps: 0,
    eosSteps: 0,
    what,
  });
  if (batches.length === 0) {
    return { train: empty("nothing timed"), inference: empty("nothing timed") };
  }
  const runners = Object.fromEntries((["rc", "eos"] as const).map((method) => [
    method,
    stepRunner(model, {
      ...opts,
      method,
      learningRate: 0,
      numBatches: batches.length,
      trainBatch: (i) => batches[i],
      validation: batches[0],
      validateEvery: batches.length,
    }),
  ])) as Record<Method, StepRunner>;
  const path = runners.rc.path.name;
  const train = empty(
    `one training step per batch on the ${path} path (forward, backward, optimizer at learning ` +
      "rate 0), RC then EOS or EOS then RC, alternating",
  );
  const inference = empty(
    "inference per batch: RC halting at the first spikes against EOS running every step, alternating",
  );
  const step = async (method: Method, batch: SequenceBatch, timed: boolean) => {
    const counts = zeroCounts();
    const began = performance.now();
    await runners[method].step(batch, counts);
    await runners[method].settle(counts);
    const seconds = (performance.now() - began) / 1000;
    if (!timed) return;
    if (method === "rc") (train.rcSeconds += seconds), (train.rcSteps += counts.backwardSteps);
    else (train.eosSeconds += seconds), (train.eosSteps += counts.backwardSteps);
  };
  const infer = async (method: Method, batch: SequenceBatch, timed: boolean) => {
    const began = performance.now();
    const { stepsComputed } = await traceBatch(model, batch, {
      readout: opts.readout,
      haltThreshold: method === "rc" ? opts.threshold : undefined,
    });
    const seconds = (performance.now() - began) / 1000;
    if (!timed) return;
    if (method === "rc") (inference.rcSeconds += seconds), (inference.rcSteps += stepsComputed);
    else (inference.eosSeconds += seconds), (inference.eosSteps += stepsComputed);
  };
  try {
    for (const method of ["rc", "eos"] as const) {
      await step(method, batches[0], false);
      await infer(method, batches[0], false);
    }
    for (const [k, batch] of batches.entries()) {
      const order: Method[] = k % 2 === 0 ? ["rc", "eos"] : ["eos", "rc"];
      for (const method of order) await step(method, batch, true);
      for (const method of order) await infer(method, batch, true);
    }
  } finally {
    runners.rc.dispose();
    runners.eos.dispose();
  }
  return { train, inference };
}
