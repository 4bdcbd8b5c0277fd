/** Temporal MNIST (paper Sec. 3.3, Table 1, Figs. 3 and 6, App. B.3): not built yet. @module */
import type { ExperimentDeclaration } from "./declaration.ts";

export const MNIST: ExperimentDeclaration = {
  id: "mnist",
  title: "Temporal MNIST (Table 1, Figs. 3, 6)",
  paper: { section: "Sec. 3.3, App. B.3", figures: "Table 1, Figs. 3, 6" },
  pending: "needs the data sets issue (MNIST, temporal encoding) and a ConvLSTM",
  spikeTimeCurveIs: "Fig. 6A",
  sections: [
    {
      id: "table1-fig3",
      title: "Temporal MNIST: SNN benchmarks",
      paperFigures: "Table 1, Fig. 3",
      figureKeys: ["T1", "3"],
      paperShows:
        "RC-(Conv)LSTMs on 10-step temporally coded MNIST decide after about one step at 98.14–98.90 % " +
        "(fast regime) and reach 99.29 % in the slow regime; β switches between the regimes.",
      parts: { runs: true, curves: true, tradeoff: false, savings: false },
      note: "The training curves here also give Fig. 6A (RC vs non-RC mean spike time).",
    },
    {
      id: "fig6",
      title: "Temporal MNIST: RC vs non-RC",
      paperFigures: "Fig. 6",
      figureKeys: ["6"],
      paperShows:
        "The EOS-trained 784-340-10 LSTM does not shorten its first spikes during training (6A); " +
        "lowering θ makes it fast but inaccurate while the RC model stays accurate (6B).",
      parts: { runs: false, curves: false, tradeoff: true, savings: true },
      note: "Runs, checks and training curves (6A) are in the Table 1 / Fig. 3 section.",
    },
  ],
};
