/**
 * What the two synthetic experiments (paper Secs. 3.1-3.2, App. B.1-B.2) share: the config, its
 * profiles, the deviations a config makes from the paper's, and the runs (EOS, then RC). Their
 * run code (`_toy_run.ts`) imports this module; each declaration loads it only when a run
 * executes (this module stays plain data for the report).
 * @module
 */
import type { Profile, RunRecord } from "../results.ts";
import {
  type ConfigSchema,
  type ExperimentDeclaration,
  type ProfileNotes,
  type RunContext,
  type RunDeclaration,
  seedSuffix,
  type TargetSpec,
} from "./declaration.ts";

export type ToyTask = "spotting" | "two-sequence";

/** A toy run's config. (A type, not an interface: it is a `Record<string, unknown>`.) */
export type ToyConfig = {
  task: ToyTask;
  method: "rc" | "eos";
  hiddenSize: number;
  batchSize: number;
  numBatches: number;
  learningRate: number;
  threshold: number;
  beta: number;
  validationSize: number;
  validateEvery: number;
  testSize: number;
  /** Weights evaluated: best validation first-spike accuracy (default) or end of training. */
  selectBy?: "spiking" | "last";
  /** RC runs: batches of the paired RC-vs-EOS timing after training (0: none). */
  pairedBatches: number;
  seed: number;
  /**
   * Warm start: a run store's experiment folder (e.g. `reports/runs/two-sequence`). The run
   * begins from the weights its namesake there saved (`<declared run>.weights.bin`: "rc" from
   * rc's, "eos-s2" from eos-s2's) instead of fresh ones, with Adam's moments at zero; the
   * record names the source. Unset: fresh weights from the seed.
   */
  initFrom?: string;
};

/** What `--set` may change in a toy config (task and method name the run: not settable). */
export const TOY_SETTABLE: ConfigSchema<ToyConfig> = {
  hiddenSize: "integer",
  batchSize: "integer",
  numBatches: "integer",
  learningRate: "number",
  threshold: "number",
  beta: "number",
  validationSize: "integer",
  validateEvery: "integer",
  testSize: "integer",
  selectBy: ["spiking", "last"],
  pairedBatches: "integer",
  seed: "integer",
  initFrom: "string",
};

/** A toy experiment: the declaration plus what its run code needs to know. */
export interface ToyExperiment extends ExperimentDeclaration {
  /** The two synthetic tasks, and App. C's θ-during-training study on the 2-sequence one. */
  id: "seq-spotting" | "two-sequence" | "threshold-training";
  task: ToyTask;
  /** Training sequences in the paper (App. B). */
  paperExamples: number;
  /** Sequence length. */
  numSteps: number;
  /** Data set name in the run record. */
  dataName: string;
  /** Also measure the accuracy read at this step (1-based), e.g. the paper's "at step 14". */
  readAtStep?: number;
  /** Config keys that differ from the common toy config at every profile. */
  configChanges?: Partial<ToyConfig>;
  /**
   * Seeds of the EOS/RC pair at the default and paper profiles (default [1]); seed 1's runs are
   * "eos" and "rc", seed s's "eos-s<s>" and "rc-s<s>" (the report groups them as seeds).
   */
  seeds?: number[];
}

/** App. B.1/B.2: LSTM 125, one sigmoid output, BCE, Adam 3e-4, batch 128, θ = 0.95, β = 0. */
export function toyConfig(exp: ToyExperiment, method: ToyConfig["method"], profile: Profile) {
  const base: ToyConfig = {
    task: exp.task,
    method,
    hiddenSize: 125,
    batchSize: 128,
    numBatches: Math.ceil(exp.paperExamples / 128),
    learningRate: 3e-4,
    threshold: 0.95,
    beta: 0,
    validationSize: 2000,
    validateEvery: 50,
    testSize: 100_000,
    pairedBatches: 50,
    seed: 1,
    ...exp.configChanges,
  };
  if (profile === "smoke") {
    return {
      ...base,
      hiddenSize: 16,
      batchSize: 32,
      numBatches: 8,
      validationSize: 256,
      validateEvery: 4,
      testSize: 512,
      pairedBatches: 2,
    };
  }
  if (profile === "default") return { ...base, pairedBatches: 20 };
  return base;
}

/** What each profile changes, and why (the same for both toy tasks). */
export const TOY_PROFILES: ProfileNotes = {
  smoke: "plumbing only: an LSTM of 16 units, 8 batches of 32, validation 256, test 512",
  default: "the paper's protocol (since the CPU engine all four toy runs take about half an " +
    "hour on 2 CPU cores); 20 paired-timing batches instead of 50",
  paper: "the paper's protocol (App. B.1/B.2), 50 paired-timing batches",
};

/**
 * The RC run's check against its EOS baseline (run with RC-inference): RC must spike earlier.
 * `paper`: the paper's ratio of the two mean first-spike steps.
 */
export function earlierThanEos(paper: number, claim?: string): TargetSpec {
  return {
    name: "mean first spike, RC / EOS-trained with RC-inference",
    measure: "spikeTimeRatio",
    paper,
    tolerance: { kind: "atMost", value: 0.95 },
    unit: "ratio",
    ...(claim ? { claim } : {}),
    why: "RC must spike earlier than EOS: at least 5 % fewer steps, not a tie",
  };
}

/**
 * How a config departs from the paper's protocol (`paper`: the paper profile's config;
 * `source`: a warm start's weights, described).
 */
export function toyDeviations(
  exp: ToyExperiment,
  config: ToyConfig,
  paper: ToyConfig,
  source?: string,
): string[] {
  const out: string[] = [];
  const trained = config.numBatches * config.batchSize;
  const en = (n: number) => n.toLocaleString("en");
  if (config.initFrom !== undefined) {
    out.push(
      `warm start: began from the weights ${source ?? `in ${config.initFrom}`}, then trained ` +
        `on ${en(trained)} more examples here, Adam's moments starting at zero`,
    );
  } else if (trained < exp.paperExamples) {
    out.push(`trained on ${en(trained)} examples; the paper used ${en(exp.paperExamples)}`);
  }
  if (config.hiddenSize !== paper.hiddenSize) {
    out.push(`LSTM of ${config.hiddenSize} units; the paper used ${paper.hiddenSize}`);
  }
  if (config.testSize < paper.testSize) {
    out.push(`test set of ${en(config.testSize)} sequences; the paper used ${en(paper.testSize)}`);
  }
  if (config.validationSize !== paper.validationSize) {
    out.push(
      `validation set of ${config.validationSize}; the paper used ${en(paper.validationSize)}`,
    );
  }
  return out;
}

/**
 * The runs of a toy experiment: EOS first (the RC run compares against it), then RC; `execute`
 * trains one (the declaration's loader of `_toy_run.ts`).
 */
export function toyRuns(
  exp: ToyExperiment,
  execute: (config: ToyConfig, ctx: RunContext) => Promise<RunRecord>,
) {
  return (profile: Profile): RunDeclaration<ToyConfig>[] => {
    // Default-profile runs are the published ones; other profiles get their own file names
    // so that a smoke or paper run never overwrites them.
    const suffix = profile === "default" ? "" : `@${profile}`;
    const seeds = profile === "smoke" ? [1] : exp.seeds ?? [1];
    return seeds.flatMap((seed) =>
      (["eos", "rc"] as const).map((method) => {
        const name = (m: string) => m + seedSuffix(seed) + suffix;
        return {
          run: name(method),
          method,
          baseline: method === "rc" ? name("eos") : undefined,
          config: { ...toyConfig(exp, method, profile), seed },
          cost: (c: ToyConfig) => c.numBatches * c.batchSize * exp.numSteps,
          execute,
        };
      })
    );
  };
}
