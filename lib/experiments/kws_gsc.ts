/** Keyword spotting on Google Speech Commands (paper Sec. 3.4, Figs. 4-5, App. B.4): not built yet. @module */
import { ALL_PARTS, type ExperimentDeclaration } from "./declaration.ts";

export const KWS_GSC: ExperimentDeclaration = {
  id: "kws-gsc",
  title: "Keyword spotting, Google Speech Commands v0.02 (Figs. 4, 5)",
  paper: { section: "Sec. 3.4, App. B.4", figures: "Figs. 4, 5" },
  pending: "needs the data sets issue (Speech Commands, log-mel features)",
  sections: [{
    id: "fig4-fig5",
    title: "Keyword spotting: Speech Commands",
    paperFigures: "Figs. 4 & 5",
    figureKeys: ["4", "5"],
    experiments: ["kws-gsc", "kws-fsdd"],
    paperShows:
      "128-unit LSTM on GSC v0.02 (11 classes, 81 frames): RC with β = 0.2 settles near 600 ms at " +
      "near-best accuracy, β alone does not make EOS training fast (Fig. 4); RC's trade-off curves " +
      "and their composite dominate (Fig. 5).",
    parts: ALL_PARTS,
    note: "kws-gsc uses Google Speech Commands as in the paper; kws-fsdd is the offline stand-in " +
      "(Free Spoken Digit Dataset). Every number below names its data set.",
  }],
};
