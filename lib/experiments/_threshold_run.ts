/**
 * The run code of App. C (Fig. 7): a 2-sequence RC run (`_toy_run.ts`) at one θ_train, extended
 * with its test accuracy and mean spike time at every θ_test. Fig. 7 and its verdict are the
 * report's, drawn over every finished run of the grid (`_threshold_grid.ts`).
 * @module
 */
import { thresholdCurve } from "../experiment.ts";
import type { RunRecord } from "../results.ts";
import type { RunContext } from "./declaration.ts";
import type { ToyConfig, ToyExperiment } from "./_toy.ts";
import { runToy, type ToyExtension } from "./_toy_run.ts";
import { TEST_THRESHOLDS } from "./_threshold.ts";
import { thetaExtras } from "./_threshold_grid.ts";

/** What this run adds: its model's test accuracy and mean spike time at every θ_test. */
export function thresholdExtension(): ToyExtension {
  return ({ config, traces, labels }) => ({
    extra: thetaExtras(thresholdCurve(traces, labels, [...TEST_THRESHOLDS])),
    title: `RC-trained LSTM-${config.hiddenSize}, 2-sequence, θ_train = ${config.threshold}`,
  });
}

/** Trains and evaluates the run of one θ_train of `exp` (the declaration, threshold_training.ts). */
export async function runThreshold(
  exp: ToyExperiment,
  config: ToyConfig,
  ctx: RunContext,
): Promise<RunRecord> {
  return await runToy(exp, config, ctx, thresholdExtension());
}
