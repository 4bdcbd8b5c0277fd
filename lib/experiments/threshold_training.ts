/** The threshold used during RC training (paper App. C, Fig. 7): not built yet. @module */
import { ALL_PARTS, type ExperimentDeclaration } from "./declaration.ts";

export const THRESHOLD_TRAINING: ExperimentDeclaration = {
  id: "threshold-training",
  title: "Threshold used during RC-training (Fig. 7)",
  paper: { section: "App. C", figures: "Fig. 7" },
  pending: "no run code yet",
  sections: [{
    id: "fig7",
    title: "Threshold during RC training",
    paperFigures: "Fig. 7 (App. C)",
    figureKeys: ["7"],
    paperShows:
      "Training θ ∈ {0.85, 0.9, 0.95, 0.99, 0.999} on the two-sequence problem changes the test " +
      "trade-off curves only minimally, as long as θ is high.",
    parts: ALL_PARTS,
  }],
};
