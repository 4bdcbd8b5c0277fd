/** Hidden temporal dynamics of the RC LSTM (paper App. D, Fig. 8): not built yet. @module */
import { ALL_PARTS, type ExperimentDeclaration } from "./declaration.ts";

export const HIDDEN_DYNAMICS: ExperimentDeclaration = {
  id: "hidden-dynamics",
  title: "Hidden temporal dynamics (Fig. 8)",
  paper: { section: "App. D", figures: "Fig. 8" },
  pending: "no run code yet",
  sections: [{
    id: "fig8",
    title: "Hidden temporal dynamics",
    paperFigures: "Fig. 8 (App. D)",
    figureKeys: ["8"],
    paperShows:
      "Hidden and cell states of the RC LSTM for the utterance “On”: a multi-neuron temporal code " +
      "behind a single output spike.",
    parts: ALL_PARTS,
  }],
};
