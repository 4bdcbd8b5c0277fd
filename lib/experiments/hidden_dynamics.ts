/**
 * Hidden temporal dynamics of the RC LSTM (paper App. D, Fig. 8): for one RC-trained keyword
 * model and one test clip, the LSTM's hidden state h and cell state c (every unit) and the output
 * activations (softmax) over time, in colour up to the first output spike and in grey after it,
 * what would have happened had the run not stopped there.
 *
 * Nothing is trained: the run reads the weights a keyword-spotting run saved
 * (`<out>/runs/kws-fsdd/<run>.weights.bin`, lib/models/weights.ts). Plain data for the report;
 * the run code is in `_hidden_run.ts`, loaded only when a run executes.
 * @module
 */
import type { Profile } from "../results.ts";
import type { ConfigSchema, ExperimentDeclaration, RunDeclaration } from "./declaration.ts";
import type { HiddenConfig } from "./_hidden.ts";

export * from "./_hidden.ts";

export const HIDDEN_SETTABLE: ConfigSchema<HiddenConfig> = {
  dataset: ["fsdd", "speech-commands"],
  weights: "string",
  clip: "integer",
  word: "string",
  order: ["unit", "peak"],
};

/** The keyword run whose weights are shown by default: RC with β = 0.2 (Sec. 3.4's choice). */
export const DEFAULT_WEIGHTS = "rc-b0.2";
/**
 * The default clip: -1, the first test clip the model spikes on before its end (the published
 * rc-b0.2 spikes on about a quarter of FSDD's test clips; a fixed index would mostly show no spike).
 */
export const DEFAULT_CLIP = -1;

/** The config at a profile: the keyword run of the same profile (its suffix), one clip. */
export function hiddenConfig(profile: Profile): HiddenConfig {
  const suffix = profile === "default" ? "" : `@${profile}`;
  return {
    dataset: "fsdd",
    weights: DEFAULT_WEIGHTS + suffix,
    clip: DEFAULT_CLIP,
    word: "",
    order: "peak",
  };
}

export const HIDDEN_DYNAMICS: ExperimentDeclaration = {
  id: "hidden-dynamics",
  title: "Hidden temporal dynamics (Fig. 8)",
  paper: { section: "App. D", figures: "Fig. 8" },
  profiles: {
    smoke: `the smoke keyword run's weights (${DEFAULT_WEIGHTS}@smoke: LSTM 16, 4 epochs on 60 ` +
      "clips), one clip: plumbing only",
    default: `the published keyword run ${DEFAULT_WEIGHTS} (kws-fsdd, default profile), one ` +
      "test clip",
    paper: `the paper-profile keyword run ${DEFAULT_WEIGHTS}@paper, one test clip`,
  },
  settable: HIDDEN_SETTABLE as ConfigSchema<Record<string, unknown>>,
  targets: {
    rc: {
      description: "App. D, Fig. 8: behind a single, well-timed output spike the LSTM's units " +
        "carry a multi-neuron temporal code (no number given; checked: the clip's first spike " +
        "names its word).",
      checks: [
        {
          name: "label at the first spike is the clip's word",
          measure: "correct",
          paper: 1,
          tolerance: { kind: "atLeast", value: 1 },
          unit: "fraction",
          claim: 'the example utterance "On" is classified at its first spike (Fig. 8)',
          why: 'the paper\'s example is classified right ("On"); one clip: 1 or 0',
        },
      ],
    },
    eos: { description: "App. D shows an RC-trained model only.", checks: [] },
  },
  deviations: [
    'FSDD (a spoken digit) stands in for the paper\'s Speech Commands utterance "On" by ' +
    "default; --set dataset=speech-commands reads kws-gsc's weights",
  ],
  selection: {
    paper: "App. D does not say which model or clip Fig. 8 shows (an RC-trained Speech " +
      'Commands model, the utterance "On")',
    ours: `the best validation epoch's weights of the keyword run ${DEFAULT_WEIGHTS} (as that ` +
      "run saved them); the first test clip (in the split's order) on which it spikes before " +
      "the clip's end",
    deviation: `fills the paper's silence: the keyword run ${DEFAULT_WEIGHTS} (Sec. 3.4's β) ` +
      "and the first test clip it spikes on (--set clip=N for another)",
  },
  metricLabels: {
    clip: { label: "test clip (index in the test split)", unit: "count" },
    spikingTestClips: {
      label: "test clips with a first spike before their end",
      unit: "fraction",
    },
    labelIndex: { label: "the clip's class (index)", unit: "count" },
    predictedIndex: { label: "class at the first spike (index)", unit: "count" },
    endLabelIndex: { label: "class at the last step (index)", unit: "count" },
    spikeStep: { label: "first spike (step)", unit: "steps" },
    spikeMs: { label: "first spike (ms of the 1 s clip)", unit: "number" },
    fired: { label: "spiked (1 yes, 0 no)", unit: "count" },
    confidenceAtSpike: { label: "softmax maximum at the first spike", unit: "fraction" },
    unitsAbove05BeforeSpike: { label: "units with |h| > 0.5 before the spike", unit: "count" },
    distinctPeakStepsBeforeSpike: {
      label: "distinct steps at which units peak (|h|) before the spike",
      unit: "count",
    },
    weightsEpoch: { label: "epoch of the weights", unit: "count", show: "provenance" },
  },
  figureViews: [{
    paperFigure: "8",
    panel: { rc: "8" },
    differs: "four heatmaps (input, h, c, output); by default a spoken digit of FSDD, not the " +
      'Speech Commands utterance "On"',
  }],
  figures: {
    fig8: {
      paperFigure: "8",
      caption: 'Paper (Fig. 8): hidden and cell states of the RC LSTM for the utterance "On", ' +
        "in colour up to the first output spike, in grey what would have followed.",
    },
  },
  sections: [{
    id: "fig8",
    title: "Hidden temporal dynamics",
    paperFigures: "Fig. 8 (App. D)",
    figureKeys: ["8"],
    paperShows:
      "Hidden and cell states of the RC LSTM for the utterance “On”: a multi-neuron temporal code " +
      "behind a single output spike.",
    parts: { runs: true, curves: false, tradeoff: false, savings: false },
  }],
};

/** One run: the figure of one clip with one keyword model's weights. */
HIDDEN_DYNAMICS.runs = (profile: Profile): RunDeclaration<HiddenConfig>[] => {
  const suffix = profile === "default" ? "" : `@${profile}`;
  return [{
    run: `fig8${suffix}`,
    method: "rc",
    config: hiddenConfig(profile),
    // Nothing trained: one clip's forward pass (81 steps).
    cost: () => 81,
    execute: async (config: HiddenConfig, ctx) =>
      (await import("./_hidden_run.ts")).runHidden(HIDDEN_DYNAMICS, config, ctx),
  }];
};
