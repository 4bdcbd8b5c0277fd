/**
 * Keyword spotting on the Free Spoken Digit Dataset: the paper's Sec. 3.4 grid (Figs. 4, 5) on
 * a data set this project can download; shown beside Speech Commands in `kws_gsc.ts`'s section.
 * @module
 */
import type { ExperimentDeclaration } from "./declaration.ts";
import { DEFAULT_FSDD_EPOCHS, kwsRuns, PAPER_EPOCHS } from "./_kws.ts";
import { KWS_DEVIATIONS, KWS_SHARED } from "./kws_gsc.ts";

export const KWS_FSDD: ExperimentDeclaration = {
  id: "kws-fsdd",
  title: "Keyword spotting on the Free Spoken Digit Dataset (stand-in for Figs. 4, 5)",
  paper: { section: "Sec. 3.4, App. B.4 (stand-in data set)", figures: "Figs. 4, 5" },
  profiles: {
    smoke: "plumbing only: LSTM 16 + FC 8, the first 60 clips of each split, 4 epochs of " +
      "batches of 20, the whole β grid",
    default: `the whole β grid (9 runs) for ${DEFAULT_FSDD_EPOCHS} epochs each (the paper: ` +
      `${PAPER_EPOCHS} on Speech Commands, ~35 × more clips per epoch), with three seeds: ` +
      "about 25 minutes per seed's grid on 2 idle CPU cores with OpenBLAS",
    paper: `the whole β grid for ${PAPER_EPOCHS} epochs on FSDD`,
  },
  ...KWS_SHARED,
  deviations: [
    ...KWS_DEVIATIONS,
    "split: the dataset's official test split (takes 0-4, 300 clips); validation: takes 5-9 " +
    "(300 clips) of the official training part; training: takes 10-49 (2,400 clips)",
  ],
  sections: [],
};
// Three seeds of the grid at the default profile (the report's mean ± sd, a Fig. 5 per seed).
KWS_FSDD.runs = kwsRuns(
  "fsdd",
  async (config, ctx) => (await import("./_kws_run.ts")).runKws(KWS_FSDD, config, ctx),
  [1, 2, 3],
);
