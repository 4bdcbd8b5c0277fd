/**
 * Target checks as run files record them: a measurement against the paper's value (or our bound)
 * within a tolerance, or "not measured" with why. Plain functions (no tfjs): the run code and the
 * report (re-judging older run files) share them.
 * @module
 */
import { type TargetCheck, type Tolerance, withinTolerance } from "../results.ts";

/** A target check: `measured` against the paper's value within `tolerance`. */
export function check(
  name: string,
  paper: number,
  measured: number | null,
  tolerance: Tolerance,
  unit: TargetCheck["unit"],
  why?: string,
): TargetCheck {
  const met = withinTolerance(measured, paper, tolerance);
  return { name, paper, measured, tolerance, met, unit, ...(why ? { why } : {}) };
}

/**
 * A declared check whose input this run could not measure (e.g. its EOS baseline had not
 * finished): kept, shown as not measured with `reason`, judging nothing.
 */
export function notMeasured(
  name: string,
  paper: number,
  tolerance: Tolerance,
  unit: TargetCheck["unit"],
  reason: string,
  why?: string,
): TargetCheck {
  return {
    name,
    paper,
    measured: null,
    tolerance,
    met: false,
    unit,
    ...(why ? { why } : {}),
    notMeasured: reason,
  };
}

/**
 * Why an RC run has no EOS baseline to compare with: its name and the command that trains it.
 */
export function missingBaseline(experiment: string, baseline: string | undefined): string {
  return baseline
    ? `its EOS baseline ${baseline} has not finished (or failed): train it with ` +
      `deno task train --experiment ${experiment} --run ${baseline}, then this run again`
    : "it declares no EOS baseline";
}

/**
 * The slow-regime check, read from the test images that spiked: an image that never spikes is
 * decided at the last step, so counting it would meet "over 25 % of the frame" by not deciding
 * at all (ConvLSTM runs trained for a fraction of an epoch, 71-76 % of whose test images never
 * spiked, met it so). Not measured when fewer than half spiked. `meanSpikeTime` counts an image
 * that never spiked as `T` steps.
 */
export function slowRegimeCheck(
  spike: { meanSpikeTime: number; fractionFired: number },
  T: number,
): TargetCheck {
  const name = "mean first-spike step of the test images that spiked (slow regime)";
  const tolerance = { kind: "atLeast" as const, value: 2.5 * (T / 10) };
  const f = spike.fractionFired;
  const why = "slow regime: over 25 % of the frame (paper Sec. 3.3); 2.5 is the bound, not a " +
    `value; ${(100 * (1 - f)).toFixed(1)} % of the test images never spiked (decided at the ` +
    "last step) and are not counted";
  if (!(f >= 0.5)) {
    return notMeasured(
      name,
      2.5,
      tolerance,
      "steps",
      `only ${(100 * f).toFixed(1)} % of the test images spiked at θ: a regime is read from ` +
        "images that decide before the end",
      why,
    );
  }
  const spiked = (spike.meanSpikeTime - (1 - f) * T) / f;
  return check(name, 2.5, spiked, tolerance, "steps", why);
}
