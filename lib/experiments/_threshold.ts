/**
 * The θ_train grid of App. C (Fig. 7): its thresholds and run names, shared by the declaration,
 * the run code and the grid's verdict.
 * @module
 */

/** θ during training (App. C). */
export const TRAIN_THRESHOLDS = [0.85, 0.9, 0.95, 0.99, 0.999] as const;
/** θ at test: App. C tests every model "using these thresholds", the same set. */
export const TEST_THRESHOLDS = TRAIN_THRESHOLDS;
/** "Reasonably high": the curves checked to coincide are those trained at θ ≥ this. */
export const HIGH_THRESHOLD = 0.9;
/** The largest accuracy gap (fraction) allowed between the high-θ curves at equal spike time. */
export const SPREAD_TOLERANCE = 0.015;

/** The run's name at one θ_train, e.g. "rc-theta0.95" (a seed and profile suffix follow). */
export function thetaRunName(theta: number): string {
  return `rc-theta${theta}`;
}
