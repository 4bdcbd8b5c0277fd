/**
 * Every paper experiment, in the paper's order: one declaration per file in this folder.
 * @module
 */
import type { ExperimentDeclaration } from "./declaration.ts";
import { HIDDEN_DYNAMICS } from "./hidden_dynamics.ts";
import { KWS_FSDD } from "./kws_fsdd.ts";
import { KWS_GSC } from "./kws_gsc.ts";
import { MNIST } from "./mnist.ts";
import { SEQ_SPOTTING } from "./seq_spotting.ts";
import { SNN_LIF } from "./snn_lif.ts";
import { THRESHOLD_TRAINING } from "./threshold_training.ts";
import { TWO_SEQUENCE } from "./two_sequence.ts";

export type { ExperimentDeclaration, RunContext, RunDeclaration } from "./declaration.ts";

export const EXPERIMENTS: readonly ExperimentDeclaration[] = [
  SEQ_SPOTTING,
  TWO_SEQUENCE,
  MNIST,
  KWS_GSC,
  KWS_FSDD,
  THRESHOLD_TRAINING,
  HIDDEN_DYNAMICS,
  SNN_LIF,
];

/** The declaration of `id`, or an error listing the valid IDs. */
export function experimentById(id: string): ExperimentDeclaration {
  const found = EXPERIMENTS.find((e) => e.id === id);
  if (!found) {
    throw new Error(
      `Unknown experiment "${id}": expected one of ${EXPERIMENTS.map((e) => e.id).join(", ")}.`,
    );
  }
  return found;
}
