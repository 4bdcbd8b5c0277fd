/**
 * Accuracies as the test set supports them: how many examples a run's test accuracy was measured
 * on, how many decimals that supports (one example of 300 is 0.33 points), and its binomial 95 %
 * interval. Pure functions.
 * @module
 */

import type { RunRecord } from "../results.ts";
import { isNum, NA, wilson } from "./format.ts";

/** The largest test set whose size is inferred from its accuracies (see {@link testCount}). */
const MAX_INFERRED = 1_000_000;

/** The denominator of `x` as a fraction k/q with q <= `max` (continued fractions), or null. */
export function denominator(x: number, max = MAX_INFERRED): number | null {
  if (!isNum(x) || x < 0 || x > 1) return null;
  // Convergents h/k of x's continued fraction, until one equals x to float precision.
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let rest = x;
  for (let i = 0; i < 40; i++) {
    const a = Math.floor(rest);
    [h0, h1] = [h1, a * h1 + h0];
    [k0, k1] = [k1, a * k1 + k0];
    if (k1 > max) return null;
    if (Math.abs(h1 / k1 - x) < 1e-9 / Math.max(1, k1)) return k1;
    const frac = rest - a;
    if (frac < 1e-12) return k1;
    rest = 1 / frac;
  }
  return null;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Fewer distinct accuracies than this say too little about the set they came from. */
const MIN_DISTINCT = 6;

/**
 * The smallest set size that makes every one of `accuracies` a whole number of examples (the least
 * common multiple of their denominators). It never exceeds the size of the set they were measured
 * on, and is that size unless all of them fell on multiples of some c by chance (a chance of
 * c^-6 or less with the six distinct values it asks for). Null with fewer distinct values, or
 * where one is no fraction of a set up to a million.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inferredCount } from "./accuracy.ts";
 * assert.equal(inferredCount([283, 287, 290, 120, 47, 12].map((k) => k / 300)), 300);
 * assert.equal(inferredCount([0.5, 0.9]), null); // too few to tell
 * ```
 */
export function inferredCount(accuracies: readonly number[]): number | null {
  if (new Set(accuracies).size < MIN_DISTINCT) return null;
  let n = 1;
  for (const a of accuracies) {
    const q = denominator(a);
    if (q === null) return null;
    n = (n / gcd(n, q)) * q;
    if (n > MAX_INFERRED) return null;
  }
  return n;
}

/**
 * The examples behind a run's test accuracy: `config.testSize` where the run recorded it. Else
 * the inference count, unless the size its test accuracies (RC-inference, read at the last step,
 * each θ of its curve) make whole ({@link inferredCount}) is within a factor of two of it: older
 * FSDD runs tested 300 clips while their timed inference counted 288 (whole batches). Without a
 * count, the inferred size.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { testCount } from "./accuracy.ts";
 * const curve = [283, 290, 120, 47, 12].map((k) => ({ accuracy: k / 300 }));
 * const metrics = { testAccuracy: 287 / 300, eosAccuracy: 0.9, thresholdCurve: curve };
 * const compute = { inference: { examples: 288 } };
 * assert.equal(testCount({ config: {}, metrics, compute } as never), 300);
 * assert.equal(testCount({ config: { testSize: 2000 }, metrics } as never), 2000);
 * ```
 */
export function testCount(r: Pick<RunRecord, "config" | "compute" | "metrics">): number | null {
  const size = (r.config as Record<string, unknown> | undefined)?.testSize;
  if (isNum(size) && size > 0) return size;
  const m = r.metrics;
  const n = inferredCount(
    [m?.testAccuracy, m?.eosAccuracy, ...(m?.thresholdCurve ?? []).map((p) => p.accuracy)]
      .filter(isNum),
  );
  const counted = r.compute?.inference?.examples;
  if (isNum(counted) && counted > 0) {
    return n !== null && n > 1 && n <= 2 * counted && 2 * n >= counted ? n : counted;
  }
  return n;
}

/**
 * The examples behind a run's validation accuracies: `config.validationSize` where recorded, else
 * the size its validation points' accuracies make whole ({@link inferredCount}); null where
 * neither says (two decimals then).
 */
export function validationCount(r: Pick<RunRecord, "config" | "curves">): number | null {
  const size = (r.config as Record<string, unknown> | undefined)?.validationSize;
  if (isNum(size) && size > 0) return size;
  const n = inferredCount(
    (r.curves ?? []).flatMap((p) => [p.spikingAccuracy, p.eosAccuracy]).filter(isNum),
  );
  return n !== null && n > 1 ? n : null;
}

/**
 * Decimals of a percentage that an accuracy on `n` examples supports: one example is 100/n
 * points, so 0 decimals up to 100 examples, 1 up to 1,000, 2 beyond (and where `n` is unknown).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracyDigits } from "./accuracy.ts";
 * assert.equal(accuracyDigits(300), 1);
 * assert.equal(accuracyDigits(2000), 2);
 * assert.equal(accuracyDigits(1), 0);
 * ```
 */
export function accuracyDigits(n: number | null | undefined): number {
  if (!isNum(n) || n <= 0) return 2;
  return Math.min(2, Math.max(0, Math.ceil(Math.log10(n / 100) - 1e-9)));
}

/** An accuracy in percent to the precision `n` examples support, without the unit. */
export function accuracyNumber(x: number, n: number | null | undefined): string {
  return (100 * x).toFixed(accuracyDigits(n));
}

/** An accuracy as "96.3 %" to the precision `n` examples support; "n/a" where missing. */
export function accuracyPct(x: number | null | undefined, n: number | null | undefined): string {
  return isNum(x) ? `${accuracyNumber(x, n)} %` : NA;
}

/**
 * Wilson's 95 % interval of an accuracy on `n` examples as "a-b %", to as many decimals as its
 * width needs: none beyond 10 points, one beyond 1 point, else two (so that a narrow interval
 * never reads "100.0-100.0").
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intervalRange } from "./accuracy.ts";
 * assert.equal(intervalRange(0.9, 300), "86.1-92.9 %");
 * assert.equal(intervalRange(0.9997, 100_000), "99.96-99.98 %");
 * assert.equal(intervalRange(1, 1), "21-100 %");
 * ```
 */
export function intervalRange(p: number, n: number): string {
  const { lo, hi } = wilson(p, n);
  const width = 100 * (hi - lo);
  const digits = width >= 10 ? 0 : width >= 1 ? 1 : 2;
  return `${(100 * lo).toFixed(digits)}-${(100 * hi).toFixed(digits)} %`;
}
