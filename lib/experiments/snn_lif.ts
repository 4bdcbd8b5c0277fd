/** RC training of a spiking LIF network (paper App. E, Figs. 9-10): not built yet. @module */
import { ALL_PARTS, type ExperimentDeclaration } from "./declaration.ts";

export const SNN_LIF: ExperimentDeclaration = {
  id: "snn-lif",
  title: "RC-training of a spiking LIF network (Figs. 9, 10)",
  paper: { section: "App. E", figures: "Figs. 9, 10" },
  pending: "no run code yet",
  sections: [{
    id: "fig9-fig10",
    title: "RC training of a spiking (LIF) network",
    paperFigures: "Figs. 9 & 10 (App. E)",
    figureKeys: ["9", "10"],
    paperShows:
      "LIF SNN (Wu et al. 2018) on temporal MNIST: both models spike early, the RC-trained one is " +
      "much more accurate at its first spike (9); accuracy over inference θ (10).",
    parts: ALL_PARTS,
  }],
};
