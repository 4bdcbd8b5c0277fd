/**
 * Keyword spotting on the Free Spoken Digit Dataset, the offline stand-in for paper Figs. 4-5
 * (shown in the Speech Commands section, `kws_gsc.ts`): not built yet.
 * @module
 */
import type { ExperimentDeclaration } from "./declaration.ts";

export const KWS_FSDD: ExperimentDeclaration = {
  id: "kws-fsdd",
  title: "Keyword spotting on the Free Spoken Digit Dataset (stand-in for Figs. 4, 5)",
  paper: { section: "Sec. 3.4 (stand-in data set)", figures: "Figs. 4, 5" },
  pending: "needs the data sets issue (FSDD, log-mel features)",
  sections: [],
};
