/**
 * The report's sections, in the paper's order, each keyed to the experiments that reproduce it.
 * @module
 */

import type { ExperimentId } from "../results.ts";

/** What a section draws for each of its experiments. */
export interface SectionParts {
  /** Per-run cards: metrics, target checks, deviations. */
  runs: boolean;
  /** Training curves of all runs (accuracy and mean spike time vs examples). */
  curves: boolean;
  /** Accuracy vs mean spike time over inference thresholds, one line per run. */
  tradeoff: boolean;
  /** Compute savings of each RC run against its EOS baseline. */
  savings: boolean;
}

/** One section of the report. */
export interface ReportSection {
  /** HTML anchor. */
  id: string;
  title: string;
  /** The paper's figures and tables this section reproduces, as printed. */
  paperFigures: string;
  /**
   * Figure numbers (`"3"`) or tables (`"T1"`) whose `FigureSpec`s this section draws; matched
   * against the number in `FigureSpec.paperFigure` ("3B" -> "3", "T1" / "Table 1" -> "T1").
   */
  figureKeys: string[];
  experiments: ExperimentId[];
  /** What the paper shows, in one line. */
  paperShows: string;
  parts: SectionParts;
  /** A note shown under the title (e.g. which data set stands in for which). */
  note?: string;
}

const ALL: SectionParts = { runs: true, curves: true, tradeoff: true, savings: true };

/** The sections in the paper's order (main text, then appendices). */
export const SECTIONS: readonly ReportSection[] = [
  {
    id: "fig1",
    title: "Continuous sequence spotting",
    paperFigures: "Fig. 1",
    figureKeys: ["1"],
    experiments: ["seq-spotting"],
    paperShows:
      "An LSTM spots runs of ≥ 5 equal Poisson steps: RC training reaches 100 % accuracy with first " +
      "spikes at the earliest possible step; the EOS-trained model's first spikes are always negative.",
    parts: ALL,
  },
  {
    id: "fig2",
    title: "Two-sequence problem",
    paperFigures: "Fig. 2",
    figureKeys: ["2"],
    experiments: ["two-sequence"],
    paperShows:
      "RC: 95.45 % after 14 of 40 steps on average; EOS: 96.84 % at step 40, 89 % read at step 14, " +
      "96.32 % with RC-inference after 23 steps; RC spike times fall during training (Fig. 2B).",
    parts: ALL,
    note: "Fig. 2B is the mean-spike-time training curve below.",
  },
  {
    id: "table1-fig3",
    title: "Temporal MNIST: SNN benchmarks",
    paperFigures: "Table 1, Fig. 3",
    figureKeys: ["T1", "3"],
    experiments: ["mnist"],
    paperShows:
      "RC-(Conv)LSTMs on 10-step temporally coded MNIST decide after about one step at 98.14–98.90 % " +
      "(fast regime) and reach 99.29 % in the slow regime; β switches between the regimes.",
    parts: { runs: true, curves: true, tradeoff: false, savings: false },
    note: "The training curves here also give Fig. 6A (RC vs non-RC mean spike time).",
  },
  {
    id: "fig4-fig5",
    title: "Keyword spotting: Speech Commands",
    paperFigures: "Figs. 4 & 5",
    figureKeys: ["4", "5"],
    experiments: ["kws-gsc", "kws-fsdd"],
    paperShows:
      "128-unit LSTM on GSC v0.02 (11 classes, 81 frames): RC with β = 0.2 settles near 600 ms at " +
      "near-best accuracy, β alone does not make EOS training fast (Fig. 4); RC's trade-off curves " +
      "and their composite dominate (Fig. 5).",
    parts: ALL,
    note: "kws-gsc uses Google Speech Commands as in the paper; kws-fsdd is the offline stand-in " +
      "(Free Spoken Digit Dataset). Every number below names its data set.",
  },
  {
    id: "fig6",
    title: "Temporal MNIST: RC vs non-RC",
    paperFigures: "Fig. 6",
    figureKeys: ["6"],
    experiments: ["mnist"],
    paperShows:
      "The EOS-trained 784-340-10 LSTM does not shorten its first spikes during training (6A); " +
      "lowering θ makes it fast but inaccurate while the RC model stays accurate (6B).",
    parts: { runs: false, curves: false, tradeoff: true, savings: true },
    note: "Runs, checks and training curves (6A) are in the Table 1 / Fig. 3 section.",
  },
  {
    id: "fig7",
    title: "Threshold during RC training",
    paperFigures: "Fig. 7 (App. C)",
    figureKeys: ["7"],
    experiments: ["threshold-training"],
    paperShows:
      "Training θ ∈ {0.85, 0.9, 0.95, 0.99, 0.999} on the two-sequence problem changes the test " +
      "trade-off curves only minimally, as long as θ is high.",
    parts: ALL,
  },
  {
    id: "fig8",
    title: "Hidden temporal dynamics",
    paperFigures: "Fig. 8 (App. D)",
    figureKeys: ["8"],
    experiments: ["hidden-dynamics"],
    paperShows:
      "Hidden and cell states of the RC LSTM for the utterance “On”: a multi-neuron temporal code " +
      "behind a single output spike.",
    parts: ALL,
  },
  {
    id: "fig9-fig10",
    title: "RC training of a spiking (LIF) network",
    paperFigures: "Figs. 9 & 10 (App. E)",
    figureKeys: ["9", "10"],
    experiments: ["snn-lif"],
    paperShows:
      "LIF SNN (Wu et al. 2018) on temporal MNIST: both models spike early, the RC-trained one is " +
      "much more accurate at its first spike (9); accuracy over inference θ (10).",
    parts: ALL,
  },
];

/**
 * The command that runs one experiment.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandFor } from "./sections.ts";
 * assert.equal(commandFor("mnist"), "deno task reproduce --only mnist");
 * ```
 */
export function commandFor(experiment: ExperimentId): string {
  return `deno task reproduce --only ${experiment}`;
}

/** The key of a paper figure label: "3B" -> "3", "T1" or "Table 1" -> "T1", "Fig. 10A" -> "10". */
export function figureKey(paperFigure: string): string {
  const m = /(\d+)/.exec(paperFigure);
  if (!m) return paperFigure;
  return /^\s*t/i.test(paperFigure) ? `T${m[1]}` : m[1];
}

/** The first section that shows an experiment (where its runs and unmatched figures go). */
export function homeSection(experiment: ExperimentId): ReportSection {
  const home = SECTIONS.find((s) => s.experiments.includes(experiment) && s.parts.runs);
  if (!home) throw new Error(`No report section shows experiment ${experiment}`);
  return home;
}
