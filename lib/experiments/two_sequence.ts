/**
 * The 2-sequence problem (paper Sec. 3.2, Fig. 2, App. B.2): an LSTM reads a noisy Gaussian
 * sequence of 40 steps and must tell the sign of its mean; RC should decide after ~14 steps.
 * @module
 */
import { ALL_PARTS } from "./declaration.ts";
import { earlierThanEos, TOY_PROFILES, TOY_SETTABLE, type ToyExperiment, toyRuns } from "./_toy.ts";

/** The paper's numbers (Sec. 3.2): accuracy and mean first-spike step (1-based). */
const PAPER = {
  rc: { accuracy: 0.9545, spikeStep: 14 },
  eos: { accuracy: 0.9684, atStep14: 0.89, rcInference: 0.9632, spikeStep: 23 },
};
// Tolerances from the measured spread: our three seeds of each run (default profile = the paper's
// protocol, 100,000 test sequences) against the paper's one run, whose own draw we assume spreads
// as ours; a tolerance is wide enough for that and for machine differences, and narrow enough that
// the other training method's number (a plausible wrong result) fails it.
const SEEDS_ACC = "our seeds spread 0.10-0.13 points (sd) on 100,000 test sequences, the paper " +
  "reports one run (its own draw): 1 point is over 6 sd of the difference (±2 before)";
const SEEDS_STEPS = (sd: number, tol: number, other: string) =>
  `the paper prints a whole step (±0.5) from one run; our seeds spread ${sd} steps (sd): ` +
  `±${tol} is the rounding plus about 3 sd; ${other}`;
const pct = (x: number) => `${(100 * x).toFixed(2).replace(/\.?0+$/, "")} %`;

export const TWO_SEQUENCE: ToyExperiment = {
  id: "two-sequence",
  title: "The 2-sequence problem (Fig. 2)",
  paper: { section: "Sec. 3.2, App. B.2", figures: "Fig. 2" },
  task: "two-sequence",
  paperExamples: 2_000_000,
  numSteps: 40,
  dataName: "synthetic: 2-sequence problem",
  readAtStep: PAPER.rc.spikeStep,
  // The paper reports the 2-sequence models as trained (Sec. 3.2, Fig. 2B follows their first
  // spikes through training): the weights at the end of training, not the best validation point
  // (a noisy pick on 2,000 sequences, which here fell on an early, slow checkpoint).
  configChanges: { selectBy: "last" },
  // Three seeds of each method (the report's mean ± sd); seeds move the numbers by about a point.
  seeds: [1, 2, 3],
  profiles: TOY_PROFILES,
  settable: TOY_SETTABLE,
  targets: {
    rc: {
      description: `RC-trained, RC-inference ${
        pct(PAPER.rc.accuracy)
      } after ${PAPER.rc.spikeStep} steps on average.`,
      checks: [
        {
          name: "RC-inference accuracy",
          measure: "accuracy",
          paper: PAPER.rc.accuracy,
          tolerance: { kind: "abs", value: 0.01 },
          unit: "fraction",
          why: SEEDS_ACC,
        },
        {
          name: "mean first-spike time (steps)",
          measure: "meanSpikeTime",
          paper: PAPER.rc.spikeStep,
          tolerance: { kind: "abs", value: 1.5 },
          unit: "steps",
          why: SEEDS_STEPS(0.27, 1.5, "an EOS-trained model's 19-20 steps fail it (±4 before)"),
        },
        earlierThanEos(
          PAPER.rc.spikeStep / PAPER.eos.spikeStep,
          `RC-trained spikes after ${PAPER.rc.spikeStep} steps, EOS-trained (RC-inference) after ` +
            `${PAPER.eos.spikeStep} (Sec. 3.2); their ratio is ours`,
        ),
      ],
    },
    eos: {
      description: `EOS-trained ${pct(PAPER.eos.accuracy)} at step 40; read at ` +
        `step ${PAPER.rc.spikeStep}: ${pct(PAPER.eos.atStep14)}; with RC-inference ${
          pct(PAPER.eos.rcInference)
        } after ${PAPER.eos.spikeStep} steps on average.`,
      checks: [
        {
          name: "EOS accuracy (step 40)",
          measure: "eosAccuracy",
          paper: PAPER.eos.accuracy,
          tolerance: { kind: "abs", value: 0.005 },
          unit: "fraction",
          why: "our seeds spread 0.03 points (sd) on 100,000 test sequences: 0.5 points is over " +
            "10 sd of the difference with the paper's one run (±1.5 before)",
        },
        {
          name: `accuracy read at step ${PAPER.rc.spikeStep}`,
          measure: "accuracyAtReadStep",
          paper: PAPER.eos.atStep14,
          tolerance: { kind: "abs", value: 0.01 },
          unit: "fraction",
          why: "the paper rounds to a whole percent (±0.5); our seeds spread 0.11 points (sd): " +
            "±1 point (±3 before)",
        },
        {
          name: "RC-inference accuracy",
          measure: "accuracy",
          paper: PAPER.eos.rcInference,
          tolerance: { kind: "abs", value: 0.01 },
          unit: "fraction",
          why: SEEDS_ACC,
        },
        {
          name: "mean first-spike time (steps)",
          measure: "meanSpikeTime",
          paper: PAPER.eos.spikeStep,
          tolerance: { kind: "abs", value: 2.5 },
          unit: "steps",
          why: SEEDS_STEPS(0.67, 2.5, "an RC-trained model's 14-15 steps fail it (±5 before)"),
        },
      ],
    },
  },
  deviations: [],
  selection: {
    paper: "App. B.2 retains the model with the best validation spiking accuracy (2,000 " +
      "sequences, every 50 batches)",
    ours: "the weights at the end of training",
    deviation: "the weights at the end of training are evaluated, not App. B.2's best " +
      "validation spiking accuracy: on 2,000 sequences that pick is noisy, and here it fell on " +
      "an early, slow checkpoint; Sec. 3.2 and Fig. 2B follow the models through training",
  },
  metricLabels: {
    [`accuracyAtStep${PAPER.rc.spikeStep}`]: {
      label: `accuracy read at step ${PAPER.rc.spikeStep}`,
      unit: "fraction",
    },
  },
  figureViews: [{
    paperFigure: "2B",
    panel: { rc: "2B", eos: "2B" },
    differs: "the test-set distribution after training only; the paper follows it through " +
      "training",
    caption: {
      rc: "Paper (Fig. 2B, blue): the RC-trained model's first spikes move earlier as " +
        "training goes on, to 14 steps on average.",
      eos: "Paper (Fig. 2B, red): the EOS-trained model, read with RC-inference, stays slow " +
        "(23 steps on average).",
    },
  }],
  tradeoffIs: "Not a paper panel (the paper draws θ trade-offs for MNIST and keyword " +
    "spotting, Figs. 5 and 6B)",
  figures: {
    firstSpikes: {
      paperFigure: "2B",
      caption:
        "Where the first output spike falls; RC-training should move it earlier than EOS-training.",
    },
  },
  spikeTimeCurveIs: "Fig. 2B: the distribution of first-spike times through training, as " +
    "percentile bands of the 2,000 validation sequences at each validation point (the paper " +
    "draws the distribution, its exact form unstated)",
  sections: [{
    id: "fig2",
    title: "Two-sequence problem",
    paperFigures: "Fig. 2",
    figureKeys: ["2"],
    paperShows: `RC: ${pct(PAPER.rc.accuracy)} after ${PAPER.rc.spikeStep} of 40 steps on ` +
      `average; EOS: ${pct(PAPER.eos.accuracy)} at step 40, ${
        pct(PAPER.eos.atStep14)
      } read at step ${PAPER.rc.spikeStep}, ${pct(PAPER.eos.rcInference)} with RC-inference ` +
      `after ${PAPER.eos.spikeStep} steps; RC spike times fall during training (Fig. 2B).`,
    parts: ALL_PARTS,
    note: "Fig. 2B is the first-spike-step training chart below (percentile bands).",
  }],
};
TWO_SEQUENCE.runs = toyRuns(
  TWO_SEQUENCE,
  async (config, ctx) => (await import("./_toy_run.ts")).runToy(TWO_SEQUENCE, config, ctx),
);
