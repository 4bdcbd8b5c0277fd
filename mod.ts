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
 * @module
 */
export { type BackendName, describeAdapter, environment, initBackend } from "./lib/backend.ts";
export { Rng } from "./lib/random.ts";
export { type BlasInfo, blasInUse, setBlasEnabled } from "./lib/ops/blas.ts";

export { concatBatches, selectRows, type SequenceBatch } from "./lib/data/batch.ts";
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

export type { RecurrentModel } from "./lib/models/model.ts";
export { Lstm, type LstmOptions, matMulT } from "./lib/models/lstm.ts";

export {
  confidenceAndLabel,
  type FirstSpike,
  firstSpike,
  firstSpikes,
  labelsAt,
  type Readout,
  type Traces,
} from "./lib/rc/spike.ts";
export { LossCollector, rcLoss } from "./lib/rc/loss.ts";
export {
  nativeAvailable,
  nativeLossAndGrads,
  nativeTraces,
  setNativeEnabled,
} from "./lib/accel/cpu_engine.ts";
export {
  type AdamSettings,
  GpuLstmEngine,
  type GpuLstmShape,
  type GpuStepOptions,
} from "./lib/accel/gpu_engine.ts";
export {
  gpuEngineAvailable,
  gpuTraces,
  GpuTrainer,
  releaseGpuEngines,
  setGpuEngineEnabled,
} from "./lib/accel/gpu_fit.ts";
export { CpuTrainer, setCpuTrainerEnabled } from "./lib/accel/cpu_trainer.ts";
export { bucketSize, traceBatch, type TraceOptions, type TraceResult } from "./lib/rc/infer.ts";
export { accuracyAtStep, type SpikeMetrics, spikeMetrics } from "./lib/rc/evaluate.ts";
export {
  batchLoss,
  clipByGlobalNorm,
  fit,
  type FitOptions,
  type FitResult,
  lossAndGrads,
  lossSteps,
  type Method,
  validate,
} from "./lib/rc/train.ts";
export { pairedTiming, testTraces, timeInference } from "./lib/rc/measure.ts";
export { thresholdCurve } from "./lib/experiment.ts";
export type { ComputeCounts, CurvePoint, PairedTiming } from "./lib/rc/types.ts";
export {
  configHash,
  EXPERIMENT_IDS,
  type ExperimentId,
  readRuns,
  type RunRecord,
  writeRun,
} from "./lib/results.ts";
