/**
 * The run code of the two synthetic experiments (paper Secs. 3.1-3.2, App. B.1-B.2): train an
 * LSTM with RC or EOS on freshly generated batches, keep the best validation weights (or, per
 * config, those at the end of training), evaluate on a test set, check the declared targets.
 * @module
 */
import type { SequenceBatch } from "../data/batch.ts";
import { spottingBatch, twoSequenceBatch } from "../data/toy.ts";
import {
  assembleRecord,
  check,
  disposeModel,
  firstSpikeSeries,
  histogram,
  missingBaseline,
  notMeasured,
  sampleByClass,
  spikeRaster,
  trainingMemory,
} from "../experiment.ts";
import { pairedTiming, testTraces, timeInference } from "../rc/measure.ts";
import { Lstm } from "../models/lstm.ts";
import { assignWeights, decodeWeights, saveWeights } from "../models/weights.ts";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random.ts";
import { accuracyAtStep, spikeMetrics } from "../rc/evaluate.ts";
import { firstSpikes, type Traces } from "../rc/spike.ts";
import { fit } from "../rc/train.ts";
import type { CurvePoint } from "../rc/types.ts";
import type { FigureSpec, RunRecord } from "../results.ts";
import type { RunContext } from "./declaration.ts";
import {
  type ToyConfig,
  toyConfig,
  toyDeviations,
  type ToyExperiment,
  type ToyTask,
} from "./_toy.ts";

/** Test sequences per class in a run's spike raster (Fig. 1B-G). */
const RASTER_PER_CLASS = 4;

function generator(task: ToyTask): (rng: Rng, n: number) => SequenceBatch {
  return task === "spotting" ? spottingBatch : twoSequenceBatch;
}

/**
 * Sequence spotting: where correct first spikes fall relative to the earliest step at which the
 * answer is known (`test.earliest`), and what the examples that never spiked were.
 */
function spikeOffsets(test: SequenceBatch, traces: Traces, steps: Int32Array, fired: Uint8Array) {
  const earliest = test.earliest!;
  const positive: number[] = [];
  const negative: number[] = [];
  let posRight = 0, noSpikeNegatives = 0, noSpike = 0;
  for (let b = 0; b < test.batchSize; b++) {
    const label = traces.label[steps[b] * test.batchSize + b];
    if (!fired[b]) {
      noSpike++;
      if (test.y[b] === 0) noSpikeNegatives++;
      continue;
    }
    if (test.y[b] === 1 && label === 1) {
      positive.push(steps[b] - earliest[b]);
      if (steps[b] === earliest[b]) posRight++;
    } else if (test.y[b] === 0 && label === 0) negative.push(steps[b] - earliest[b]);
  }
  return {
    offsets: { positive, negative },
    positiveSpikesAtEarliest: positive.length ? posRight / positive.length : 0,
    meanPositiveSpikeOffset: positive.length
      ? positive.reduce((a, b) => a + b, 0) / positive.length
      : NaN,
    noSpikeFraction: noSpike / test.batchSize,
    noSpikeThatAreNegative: noSpike ? noSpikeNegatives / noSpike : 1,
  };
}

/** What a toy run's saved weights say of themselves (the `meta` of its `.weights.bin`). */
interface ToyWeightsMeta {
  kind: "toy";
  experiment: string;
  run: string;
  configHash: string;
  backend: string;
  /** Training examples behind these weights, a warm start's source's included. */
  examples: number;
  selectBy: string;
}

/**
 * A warm start (`config.initFrom`): loads the weights the same-named run saved in that folder
 * into `model`. Returns what they were, for the record; throws naming the file and the fix.
 */
async function warmStart(model: Lstm, folder: string, exp: ToyExperiment, ctx: RunContext) {
  const name = ctx.declared ?? ctx.run;
  const path = `${folder.replace(/\/+$/, "")}/${name}.weights.bin`;
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(
      `${exp.id}/${ctx.run}: initFrom=${folder}: no weights at ${path}. A toy run saves its ` +
        `evaluated weights beside its run file; train "${name}" into that store first ` +
        `(deno task train --experiment ${exp.id} --run ${name} --out <the store's folder>), ` +
        "or point initFrom at the folder that holds them.",
    );
  }
  const saved = decodeWeights(await Deno.readFile(path), path);
  const meta = saved.header.meta as Partial<ToyWeightsMeta>;
  if (meta.kind !== "toy" || meta.experiment !== exp.id) {
    throw new Error(
      `${exp.id}/${ctx.run}: initFrom: ${path} holds ${meta.kind ?? "unnamed"} weights of ` +
        `${meta.experiment ?? "an unknown experiment"}, not a ${exp.id} run's.`,
    );
  }
  assignWeights(model, saved, path);
  const examples = typeof meta.examples === "number" ? meta.examples : 0;
  return {
    examples,
    description: `${path} (run ${meta.run}, config ${meta.configHash}, trained on ` +
      `${meta.backend}, ${examples.toLocaleString("en")} examples)`,
  };
}

/**
 * What an experiment built on the toy runs (App. C's θ study) adds to a run, from its test
 * traces: numbers for its declared checks (`measured`), extras, figures, a title.
 */
export type ToyExtension = (p: {
  config: ToyConfig;
  traces: Traces;
  labels: Int32Array;
  extra: Record<string, number>;
  ctx: RunContext;
}) => ToyAdditions | Promise<ToyAdditions>;

/** What a `ToyExtension` returns. */
export interface ToyAdditions {
  measured?: Record<string, number>;
  extra?: Record<string, number>;
  figures?: FigureSpec[];
  title?: string;
}

/** Trains and evaluates one toy run with `config` and returns its record. */
export async function runToy(
  exp: ToyExperiment,
  config: ToyConfig,
  ctx: RunContext,
  extend?: ToyExtension,
): Promise<RunRecord> {
  const { run } = ctx;
  const experiment = exp.id;
  const startedAt = new Date().toISOString();
  const gen = generator(config.task);
  // Separate streams: training data, validation, test and weights never share draws.
  const root = new Rng(config.seed);
  const trainRng = root.fork();
  const validation = gen(root.fork(), config.validationSize);
  const test = gen(root.fork(), config.testSize);
  const model = new Lstm({
    numInputs: 1,
    hiddenSize: config.hiddenSize,
    numOutputs: 1,
    seed: root.fork().int(2 ** 31),
  });
  try {
    const source = config.initFrom !== undefined
      ? await warmStart(model, config.initFrom, exp, ctx)
      : undefined;
    const fitted = await fit(model, {
      method: config.method,
      readout: "binary",
      threshold: config.threshold,
      beta: config.beta,
      learningRate: config.learningRate,
      numBatches: config.numBatches,
      trainBatch: () => gen(trainRng, config.batchSize),
      validation,
      validateEvery: config.validateEvery,
      selectBy: config.selectBy,
      onValidation: (p: CurvePoint) =>
        ctx.log(
          `${experiment}/${run} batch ${p.batch}/${config.numBatches}: loss ${
            p.loss.toFixed(4)
          }, ` +
            `val spiking acc ${(100 * p.spikingAccuracy).toFixed(2)} % at ${
              p.meanSpikeTime.toFixed(2)
            } steps, ` +
            `EOS acc ${(100 * p.eosAccuracy).toFixed(2)} % (${p.wallSeconds.toFixed(0)} s)`,
        ),
    });
    if (ctx.workDir) {
      // The evaluated weights, beside the run file: what a later warm start begins from.
      const meta: ToyWeightsMeta = {
        kind: "toy",
        experiment,
        run,
        configHash: ctx.configHash,
        backend: tf.getBackend(),
        examples: (source?.examples ?? 0) + fitted.compute.examples,
        selectBy: config.selectBy ?? "spiking",
      };
      await saveWeights(`${ctx.workDir}/${run}.weights.bin`, model, { ...meta });
    }
    const traces = await testTraces(model, test, "binary");
    const inference = await timeInference(model, test, {
      method: config.method,
      readout: "binary",
      threshold: config.threshold,
      batchSize: config.batchSize,
    });
    // Drawn after every other stream, so adding it changed none of them.
    const pairedRng = root.fork();
    const paired = config.method === "rc" && config.pairedBatches > 0
      ? await pairedTiming(
        model,
        Array.from({ length: config.pairedBatches }, () => gen(pairedRng, config.batchSize)),
        { readout: "binary", threshold: config.threshold, beta: config.beta },
      )
      : undefined;
    const spike = spikeMetrics(traces, test.y, config.threshold);
    const { steps, fired } = firstSpikes(traces, config.threshold);
    const T = test.numSteps;
    const measured: Record<string, number> = {
      accuracy: spike.accuracy,
      meanSpikeTime: spike.meanSpikeTime,
      eosAccuracy: accuracyAtStep(traces, test.y, T - 1),
    };
    const extra: Record<string, number> = {};
    if (exp.readAtStep) {
      extra[`accuracyAtStep${exp.readAtStep}`] = accuracyAtStep(traces, test.y, exp.readAtStep - 1);
      measured.accuracyAtReadStep = extra[`accuracyAtStep${exp.readAtStep}`];
    }
    const firstSpikeFigure = exp.figures?.firstSpikes;
    const figures: FigureSpec[] = [];
    const rasterFigure = exp.figures?.raster;
    if (rasterFigure) {
      // Its own stream, drawn after every other: the same sequences in the RC and EOS runs of a
      // seed (they share the test set), and no other number moves.
      const rows = sampleByClass(test.y, RASTER_PER_CLASS, root.fork());
      figures.push(spikeRaster({
        test,
        traces,
        threshold: config.threshold,
        rows,
        paperFigure: rasterFigure.paperFigure,
        title:
          `Sampled test sequences: input, activation until the first spike, the spike (${config.method.toUpperCase()}-trained, θ = ${config.threshold})`,
        caption: rasterFigure.caption,
      }));
    }
    if (firstSpikeFigure) {
      figures.push({
        paperFigure: firstSpikeFigure.paperFigure,
        title:
          `First-spike times on the test set (${config.method.toUpperCase()}-trained, θ = ${config.threshold})`,
        kind: "bar",
        xLabel: "first spike (time step, 1-based; no spike counted at the last step)",
        yLabel: "test examples",
        series: firstSpikeSeries(steps, fired, T),
        caption: firstSpikeFigure.caption,
      });
    }
    if (test.earliest) {
      const { offsets, ...numbers } = spikeOffsets(test, traces, steps, fired);
      Object.assign(extra, numbers);
      measured.positiveSpikesAtEarliest = numbers.positiveSpikesAtEarliest;
      measured.meanPositiveSpikeOffset = numbers.meanPositiveSpikeOffset;
      figures.push({
        ...exp.figures!.offsets,
        title: "First spike relative to the earliest possible step (correct spikes)",
        kind: "bar",
        xLabel: "first spike − earliest possible step (time steps)",
        yLabel: "test examples",
        series: [
          { label: "positive examples, positive spike", ...histogram(offsets.positive, -T, T) },
          { label: "negative examples, negative spike", ...histogram(offsets.negative, -T, T) },
        ],
      });
    }
    const eosRun = ctx.finished.find((r) => r.run === ctx.baseline && r.status !== "failed");
    if (config.method === "rc" && eosRun) {
      measured.spikeTimeRatio = spike.meanSpikeTime / eosRun.metrics.meanSpikeTime;
    }
    const added = await extend?.({ config, traces, labels: test.y, extra, ctx });
    Object.assign(measured, added?.measured);
    Object.assign(extra, added?.extra);
    figures.push(...added?.figures ?? []);
    const target = exp.targets![config.method];
    // A declared check whose input is missing is kept and says why (never dropped).
    const checks = target.checks.map((t) =>
      t.measure in measured
        ? check(t.name, t.paper, measured[t.measure], t.tolerance, t.unit, t.why)
        : notMeasured(
          t.name,
          t.paper,
          t.tolerance,
          t.unit,
          t.measure === "spikeTimeRatio"
            ? missingBaseline(experiment, ctx.baseline)
            : `this run measured no ${t.measure}`,
          t.why,
        )
    );
    Object.assign(extra, trainingMemory(fitted.curves));
    const paperConfig = toyConfig(exp, config.method, "paper");
    return await assembleRecord({ info: exp, ctx, config, model, startedAt }, {
      title: added?.title ??
        `${
          config.method === "rc" ? "RC" : "EOS"
        }-trained LSTM-${config.hiddenSize}, ${config.task}`,
      data: {
        name: exp.dataName,
        checksum: `generated, seed ${config.seed}`,
      },
      fit: fitted,
      inference,
      paired,
      traces,
      labels: test.y,
      extra,
      checks,
      deviations: toyDeviations(exp, config, paperConfig, source?.description),
      figures,
    });
  } finally {
    disposeModel(model);
  }
}
