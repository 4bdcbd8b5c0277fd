/**
 * Rank coding (RC) for recurrent networks: train an RNN to answer at its first output spike,
 * backpropagate from there, and skip the rest of the sequence (Jeffares et al., ICLR 2022).
 *
 * Put RC on your own model: implement {@link RecurrentModel} (one `step()` per time step, state
 * tensors batch-first) and call {@link fit} with `method: "rc"`.
 *
 * @example
 * ```ts ignore
 * import { fit, initBackend, Lstm, Rng, twoSequenceBatch } from "./mod.ts";
 * await initBackend("auto");
 * const rng = new Rng(1);
 * const model = new Lstm({ numInputs: 1, hiddenSize: 125, numOutputs: 1, seed: 1 });
 * const { best } = await fit(model, {
 *   method: "rc", readout: "binary", threshold: 0.95, beta: 0, learningRate: 3e-4,
 *   numBatches: 500, trainBatch: () => twoSequenceBatch(rng, 128),
 *   validation: twoSequenceBatch(new Rng(2), 2000), validateEvery: 50,
 * });
 * console.log(best);
 * ```
 *
 * How a model runs here (the tfjs reference or an accelerator of lib/accel) is decided by
 * {@link choosePath} from declared capabilities; `fit()` returns the choice and its reason.
 * Importing this module registers lib/accel's accelerators with the chooser. The accelerators'
 * own switches and engines are internals, imported from lib/accel by tests and benchmarks, not
 * part of this API.
 * @module
 */
import "./lib/accel/register.ts";
export { type BackendName, describeAdapter, environment, initBackend } from "./lib/backend.ts";
export { assertNoGpuErrors } from "./lib/ops/webgpu_guards.ts";
export { Rng } from "./lib/random.ts";

// Data: the batch type, the synthetic tasks, the real data sets and their encodings.
export {
  concatBatches,
  randomBatch,
  type RandomBatchSpec,
  selectRows,
  type SequenceBatch,
} from "./lib/data/batch.ts";
export { spottingBatch, spottingLabel, twoSequenceBatch } from "./lib/data/toy.ts";
export {
  DataUnavailableError,
  defaultDataDir,
  ensureFile,
  ensureFiles,
  type FetchOptions,
  type FileSpec,
} from "./lib/data/download.ts";
export { type ImageSet, loadMnist } from "./lib/data/mnist.ts";
export { loadFsdd } from "./lib/data/fsdd.ts";
export {
  KEYWORDS,
  loadSpeechCommands,
  SPEECH_COMMANDS_CLASSES,
} from "./lib/data/speech_commands.ts";
export { decodeWav, readWav } from "./lib/data/wav.ts";
export { encodeBatch, spikeSteps } from "./lib/encode/temporal.ts";
export { DEFAULT_LOGMEL, logMel, type LogMelParams } from "./lib/encode/logmel.ts";
export {
  type FeatureSet,
  type FeatureSplit,
  loadFsddFeatures,
  loadSpeechCommandsFeatures,
} from "./lib/encode/features.ts";

// Models: the step interface and the models built on it.
export type { RecurrentModel } from "./lib/models/model.ts";
export { Lstm, type LstmOptions } from "./lib/models/lstm.ts";
export { ConvLstm, type ConvLstmOptions } from "./lib/models/conv_lstm.ts";
export { LifNet, type LifNetOptions } from "./lib/models/lif_net.ts";
export { loadWeights, saveWeights, type WeightsHeader } from "./lib/models/weights.ts";

// Rank coding: readouts and first spikes, the loss, training, inference, measuring.
export {
  confidenceAndLabel,
  type FirstSpike,
  firstSpike,
  firstSpikes,
  labelsAt,
  type Readout,
  type Traces,
} from "./lib/rc/spike.ts";
export { rcLoss } from "./lib/rc/loss.ts";
export {
  clipByGlobalNorm,
  DivergenceError,
  fit,
  type FitOptions,
  type FitResult,
  lossAndGrads,
  lossSteps,
  type Method,
  validate,
} from "./lib/rc/train.ts";
export { traceBatch, type TraceOptions, type TraceResult } from "./lib/rc/infer.ts";
export { choosePath, type PathChoice, type PathName, type PathNeeds } from "./lib/rc/paths.ts";
export { accuracyAtStep, type SpikeMetrics, spikeMetrics } from "./lib/rc/evaluate.ts";
export { pairedTiming, testTraces, timeInference } from "./lib/rc/measure.ts";
export type { ComputeCounts, CurvePoint, PairedTiming } from "./lib/rc/types.ts";
export {
  type FitState,
  loadFitState,
  type OptimizerState,
  saveFitState,
} from "./lib/rc/checkpoint.ts";
export {
  compareFrontiers,
  compositeFrontier,
  fitStepThresholds,
  frontierAt,
  type FrontierComparison,
  perStepMetrics,
  type TradeoffPoint,
} from "./lib/rc/frontier.ts";

// Streaming: audio or feature frames in, the first output spike out as soon as θ is crossed.
export { StreamingLogMel } from "./lib/encode/stream_logmel.ts";
export {
  type KwsMeta,
  type LstmShape,
  type SpikeEvent,
  StreamingClassifier,
  type StreamingOptions,
} from "./lib/rc/stream.ts";

// Results: run records.
export { thresholdCurve } from "./lib/experiment.ts";
export {
  configHash,
  EXPERIMENT_IDS,
  type ExperimentId,
  readRuns,
  type RunRecord,
  writeRun,
} from "./lib/results.ts";
