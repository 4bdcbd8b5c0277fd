/**
 * App. D's config and what its declaration (`hidden_dynamics.ts`) and run code
 * (`_hidden_run.ts`) share. Plain data: the run code imports it, the declaration re-exports it.
 * @module
 */

/** The run's config. (A type, not an interface: it is a `Record<string, unknown>`.) */
export type HiddenConfig = {
  /** Which keyword experiment's weights: FSDD (kws-fsdd) or Speech Commands (kws-gsc). */
  dataset: "fsdd" | "speech-commands";
  /** The keyword run whose best weights are read, e.g. "rc-b0.2" or "rc-b0.2@smoke". */
  weights: string;
  /**
   * The clip: its index in the test split; -1 (default): the first test clip on which the model
   * spikes before the clip's last step (the paper's figure shows a spike and what follows it).
   */
  clip: number;
  /** Or a word (a class name, e.g. "7" on FSDD, "on" on Speech Commands): its first test clip. */
  word: string;
  /** Rows of h and c: by unit index, or by the step of each unit's largest |h| before the spike. */
  order: "unit" | "peak";
};

/** The run-store folder of a data set's keyword runs. */
export function kwsFolder(dataset: HiddenConfig["dataset"]): "kws-fsdd" | "kws-gsc" {
  return dataset === "fsdd" ? "kws-fsdd" : "kws-gsc";
}
