/**
 * The LIF experiment's config and the numbers its declaration (`snn_lif.ts`) and run code
 * (`_snn_run.ts`) share: the config at each profile, Fig. 10's thresholds and our bounds for
 * Fig. 9's claims. Plain data: the run code imports it, the declaration re-exports it.
 * @module
 */
import type { Profile } from "../results.ts";

/** A run's config. (A type, not an interface: it is a `Record<string, unknown>`.) */
export type SnnConfig = {
  dataset: "mnist" | "fashion-mnist";
  method: "rc" | "eos";
  /** Input frames per image (Sec. 3.3: 10). */
  numSteps: number;
  /** Background pixels never spike ("silent", as the mnist experiment) or at the last step. */
  background: "silent" | "last-step";
  /** Channels of both 3 × 3 convolutions (App. E: 32). */
  channels: number;
  /** Neurons of the fully connected layer (App. E: 128). */
  hidden: number;
  /** τ (App. E: "decay factor" 0.2). */
  decay: number;
  /** V_th of every LIF neuron, and RC's spike threshold in training and validation (0.5). */
  threshold: number;
  /** Half-width a of the surrogate's rectangle (App. E: "derivative approximation factor" 0.5). */
  surrogateWidth: number;
  batchSize: number;
  numBatches: number;
  learningRate: number;
  validationSize: number;
  validateEvery: number;
  testSize: number;
  /** Test images whose RC- and EOS-inference is timed. */
  timingSize: number;
  /** Weights evaluated: at the end of training ("last": Fig. 10's final models) or the best. */
  selectBy: "spiking" | "last";
  seed: number;
};

/**
 * Fig. 10's inference thresholds θ on the output potentials (V_th = 0.5 is the trained one). At
 * θ ≤ V_th the first crossing is exactly the first spike of output neurons with threshold θ
 * (nothing has fired and reset before it); above V_th it reads the trained network's potentials,
 * whose neurons still reset at V_th.
 */
export const FIG10_THRESHOLDS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5];

/** Minimum first-spike accuracy advantage of RC over EOS (Fig. 9B's "much more accurate"). */
export const RC_ADVANTAGE = 0.05;
/** Both models spike early (Fig. 9A): mean first spike at most this many of 10 steps. */
export const EARLY_SPIKE = 2;

/** The config of a run at a profile. */
export function snnConfig(method: SnnConfig["method"], profile: Profile): SnnConfig {
  const base: SnnConfig = {
    dataset: "mnist",
    method,
    numSteps: 10,
    background: "silent",
    channels: 32,
    hidden: 128,
    decay: 0.2,
    threshold: 0.5,
    surrogateWidth: 0.5,
    batchSize: 400,
    // Paper: not given; Wu et al. train MNIST 100 epochs. 20 epochs of the 58,000 training images.
    numBatches: Math.floor((20 * 58_000) / 400),
    learningRate: 1e-3,
    validationSize: 2000,
    validateEvery: 145,
    testSize: 10_000,
    timingSize: 2000,
    selectBy: "last",
    seed: 1,
  };
  if (profile === "smoke") {
    return {
      ...base,
      channels: 4,
      hidden: 16,
      batchSize: 32,
      numBatches: 6,
      validationSize: 64,
      validateEvery: 3,
      testSize: 128,
      timingSize: 32,
    };
  }
  if (profile === "default") {
    // Batch 100, not 400: the network starts silent and learning waits on Adam steps, not
    // examples (see the profile note); 150 steps of 100 fit the budget, 40 of 400 would not learn.
    return {
      ...base,
      batchSize: 100,
      numBatches: 150,
      validationSize: 500,
      validateEvery: 25,
      testSize: 2000,
      timingSize: 400,
    };
  }
  return base;
}
