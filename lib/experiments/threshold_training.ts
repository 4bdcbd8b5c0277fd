/**
 * The threshold used during RC training (paper App. C, Fig. 7): the 2-sequence problem of
 * Sec. 3.2, RC-trained five times, each with a fixed θ_train ∈ {0.85, 0.9, 0.95, 0.99, 0.999};
 * each model is tested on fresh sequences at every θ_test of the same set. Fig. 7 draws accuracy
 * against mean spike time, one curve per θ_train, a point per θ_test; the paper finds the curves
 * nearly coincide "as long as the threshold is reasonably high".
 *
 * The runs are the 2-sequence toy runs (`_toy.ts`, `_toy_run.ts`) with θ set; the extension
 * that measures the θ_test grid and draws Fig. 7 is in `_threshold_run.ts`, loaded only when a
 * run executes (this module stays plain data for the report).
 * @module
 */
import type { Profile } from "../results.ts";
import { type RunDeclaration, seedSuffix } from "./declaration.ts";
import { TWO_SEQUENCE } from "./two_sequence.ts";
import { TOY_SETTABLE, type ToyConfig, toyConfig, type ToyExperiment } from "./_toy.ts";

export * from "./_threshold.ts";
import { HIGH_THRESHOLD, thetaRunName, TRAIN_THRESHOLDS } from "./_threshold.ts";
import { FIG7_GRID } from "./_threshold_grid.ts";

/**
 * Training batches of each run at the default profile. The three appendix experiments (App. C-E)
 * get 40 minutes of the 2 CPU cores at the default profile; snn-lif takes ~15 and hidden-dynamics
 * seconds, so these five runs get ~15. On that machine, unloaded, RC training of this LSTM took
 * 23.7 ms per batch over the protocol's 15,625 batches and 27.4 ms per batch over the first 4,000
 * (first spikes still late; the two-sequence rc run, README), about 1 ms more per step of mean
 * spike time (EOS, 40 steps: ~47 ms). Measured here with another training run on the machine
 * (load ~3): 62-73 ms per batch over the first 100 batches (spikes at 31-40 steps, one validation
 * included), and 7.6 s for 20,000 test sequences (traces at every step, then timed
 * RC-inference), so ~38 s for the 100,000 of the test. With θ_train's spikes at ~10 to ~25
 * steps, 3,000 batches are ~65 s (θ 0.85) to ~110 s (θ 0.999) a run unloaded, ~420 s for the
 * five, plus ~35 s a run of validation and test: ~10 minutes unloaded, ~14 at that load.
 */
export const DEFAULT_BATCHES = 3000;

/** A run's config: the 2-sequence RC config (Sec. 3.2, App. B.2) with θ = `theta`. */
export function thresholdConfig(theta: number, profile: Profile): ToyConfig {
  const base = toyConfig(THRESHOLD_TRAINING, "rc", profile);
  // No paired RC-vs-EOS timing: App. C trains no EOS model to time against.
  const out: ToyConfig = { ...base, threshold: theta, pairedBatches: 0 };
  return profile === "default" ? { ...out, numBatches: DEFAULT_BATCHES } : out;
}

export const THRESHOLD_TRAINING: ToyExperiment = {
  id: "threshold-training",
  title: "Threshold used during RC-training (Fig. 7)",
  paper: { section: "App. C", figures: "Fig. 7" },
  task: "two-sequence",
  paperExamples: TWO_SEQUENCE.paperExamples,
  numSteps: TWO_SEQUENCE.numSteps,
  dataName: TWO_SEQUENCE.dataName,
  // Trained as the 2-sequence runs of Sec. 3.2 here: the weights at the end of training.
  configChanges: TWO_SEQUENCE.configChanges,
  profiles: {
    smoke: "plumbing only: an LSTM of 16 units, 8 batches of 32, validation 256, test 512, " +
      "for each of the five θ_train",
    default: `${DEFAULT_BATCHES} batches of 128 per θ_train (384,000 sequences, 19 % of the ` +
      "paper's 2,000,000: the five runs fit ~10-14 minutes of 2 CPU cores), the paper's test " +
      "of 100,000 sequences; the grid run with three seeds, each seed's Fig. 7 drawn, its spread " +
      "judged by the report on the mean over the seeds",
    paper: "App. B.2's protocol for each θ_train: 2,000,000 sequences in batches of 128, " +
      "validation on 2,000 every 50 batches, test on 100,000",
  },
  // θ names the runs (one per θ_train): not settable.
  settable: Object.fromEntries(Object.entries(TOY_SETTABLE).filter(([k]) => k !== "threshold")),
  targets: {
    rc: {
      description: "App. C: the trade-off curves of models RC-trained at different θ differ " +
        "minimally as long as θ is reasonably high (Fig. 7; no number given).",
      // Fig. 7's spread is a verdict over the grid, judged by the report (`grids` below).
      checks: [],
    },
    eos: { description: "App. C trains no EOS model.", checks: [] },
  },
  // As this harness's 2-sequence runs (Sec. 3.2): the weights at the end of training.
  selection: TWO_SEQUENCE.selection,
  deviations: [
    "every θ_train's run of a seed uses that seed: the same initial weights, training batches " +
    "and test sequences, so a seed's curves differ by θ_train alone (the paper does not say)",
  ],
  figures: {
    fig7: {
      paperFigure: "7",
      caption: "Paper (Fig. 7): the curves of different training thresholds nearly coincide " +
        "while θ is reasonably high. Each curve is one θ_train, each point one θ_test.",
    },
  },
  spikeTimeCurveIs: "not a paper panel (App. C shows only the trained models' trade-offs)",
  accuracyCurveIs: "not a paper panel (App. C shows only the trained models' trade-offs)",
  metricLabels: {
    // The points of Fig. 7 (and of the run's threshold curve).
    "accuracyAtTheta*": { label: "test accuracy at θ_test", unit: "fraction", show: "none" },
    "spikeTimeAtTheta*": { label: "mean first-spike step at θ_test", unit: "steps", show: "none" },
    fig7Curves: { label: "θ_train curves in Fig. 7", unit: "count" },
    fig7SpreadHigh: {
      label: `largest gap between the θ_train ≥ ${HIGH_THRESHOLD} curves at equal spike time`,
      unit: "fraction",
    },
    fig7SpreadAll: {
      label: "largest gap between all θ_train curves at equal spike time",
      unit: "fraction",
    },
    fig7PairsCompared: {
      label: "pairs of curves with common spike times",
      unit: "count",
      show: "provenance",
    },
    fig7PairsDisjoint: {
      label: "pairs of curves without common spike times",
      unit: "count",
      show: "provenance",
    },
  },
  figureViews: [{ paperFigure: "7", panel: { rc: "7" } }],
  grids: [FIG7_GRID],
  sections: [{
    id: "fig7",
    title: "Threshold during RC training",
    paperFigures: "Fig. 7 (App. C)",
    figureKeys: ["7"],
    paperShows:
      "Training θ ∈ {0.85, 0.9, 0.95, 0.99, 0.999} on the two-sequence problem changes the test " +
      "trade-off curves only minimally, as long as θ is high.",
    parts: { runs: true, curves: true, tradeoff: false, savings: false },
  }],
};

/**
 * The five runs, one per θ_train; the last draws Fig. 7 over every finished one of its seed. At
 * the default profile the grid is run with three seeds: seed s's runs end in "-s<s>" (seed 1's
 * in nothing), and each seed's last run draws that seed's Fig. 7 and measures its spread.
 */
THRESHOLD_TRAINING.runs = (profile: Profile): RunDeclaration<ToyConfig>[] => {
  const suffix = profile === "default" ? "" : `@${profile}`;
  const seeds = profile === "default" ? [1, 2, 3] : [1];
  return seeds.flatMap((seed) =>
    TRAIN_THRESHOLDS.map((theta) => ({
      run: thetaRunName(theta) + seedSuffix(seed) + suffix,
      method: "rc" as const,
      config: { ...thresholdConfig(theta, profile), seed },
      cost: (c: ToyConfig) => c.numBatches * c.batchSize * THRESHOLD_TRAINING.numSteps,
      execute: async (config: ToyConfig, ctx) =>
        (await import("./_threshold_run.ts")).runThreshold(THRESHOLD_TRAINING, config, ctx),
    }))
  );
};
