/**
 * Number and text formatting shared by the HTML report and its tables. Pure functions.
 * @module
 */

import type { TargetCheck, Tolerance } from "../results.ts";

/** What a missing or undefined number prints as. */
export const NA = "n/a";

/** True for a finite number (not null, undefined, NaN or ±Infinity). */
export function isNum(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/**
 * A fraction in [0, 1] as a percentage with 2 decimals.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pct } from "./format.ts";
 * assert.equal(pct(0.9545), "95.45 %");
 * assert.equal(pct(null), "n/a");
 * ```
 */
export function pct(x: number | null | undefined): string {
  return isNum(x) ? `${(x * 100).toFixed(2)} %` : NA;
}

/** A step count (e.g. mean first-spike step) with 2 decimals. */
export function steps(x: number | null | undefined): string {
  return isNum(x) ? x.toFixed(2) : NA;
}

/** A large count with thousands separators; `1.23e12`-style beyond 1e15. */
export function count(x: number | null | undefined): string {
  if (!isNum(x)) return NA;
  if (Math.abs(x) >= 1e15) return x.toExponential(3);
  const rounded = Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100;
  return rounded.toLocaleString("en-US");
}

/** FLOPs with an SI prefix, e.g. `3.20 GFLOP`. */
export function flops(x: number | null | undefined): string {
  if (!isNum(x)) return NA;
  const units: [number, string][] = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [scale, prefix] of units) {
    if (Math.abs(x) >= scale) return `${(x / scale).toFixed(2)} ${prefix}FLOP`;
  }
  return `${x.toFixed(0)} FLOP`;
}

/** Seconds with 2 decimals, or minutes beyond 10 min. */
export function seconds(x: number | null | undefined): string {
  if (!isNum(x)) return NA;
  return Math.abs(x) >= 600 ? `${(x / 60).toFixed(1)} min` : `${x.toFixed(2)} s`;
}

/** A plain ratio with 2 decimals. */
export function ratio(x: number | null | undefined): string {
  return isNum(x) ? x.toFixed(2) : NA;
}

/** A value in the unit of a target check. */
export function inUnit(x: number | null | undefined, unit: TargetCheck["unit"]): string {
  if (unit === "ms") return isNum(x) ? `${x.toFixed(0)} ms` : NA;
  return unit === "fraction" ? pct(x) : unit === "steps" ? steps(x) : ratio(x);
}

/** A tolerance in the unit of its check: `≥ 93.00 %`, `± 0.50`, `≤ 14.00`. */
export function tolerance(t: Tolerance | undefined, unit: TargetCheck["unit"]): string {
  if (!t) return NA;
  const sign = t.kind === "abs" ? "±" : t.kind === "atLeast" ? "≥" : "≤";
  return `${sign} ${inUnit(t.value, unit)}`;
}

/** A value from `metrics.extra`, formatted from its name (accuracies as %, steps with 2 decimals). */
export function extraValue(name: string, x: number): string {
  if (/acc/i.test(name) && x >= 0 && x <= 1) return pct(x);
  if (/fraction|fired|rate|share|drop/i.test(name) && x >= 0 && x <= 1) return pct(x);
  if (/[a-z]Ms(At|$)/.test(name)) return isNum(x) ? `${x.toFixed(0)} ms` : NA;
  if (/step|time/i.test(name)) return steps(x);
  return isNum(x) ? (Number.isInteger(x) ? count(x) : x.toFixed(2)) : NA;
}

/**
 * Escapes text for HTML element content and attribute values.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { esc } from "./format.ts";
 * assert.equal(esc(`<a href="x">&</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
 * ```
 */
export function esc(text: unknown): string {
  return String(text ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** JSON safe to place inside a `<script>` element (no `</script>`, no `<!--`). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * Orders paper figure labels naturally: "1C" < "2B" < "9A" < "10", tables ("T1") before figures
 * of the same number.
 */
export function compareFigureLabels(a: string, b: string): number {
  const key = (s: string) => {
    const m = /(\d+)\s*([A-Za-z]*)/.exec(s);
    return {
      n: m ? Number(m[1]) : Infinity,
      rest: m ? m[2].toUpperCase() : s,
      table: /^t/i.test(s),
    };
  };
  const ka = key(a), kb = key(b);
  if (ka.n !== kb.n) return ka.n - kb.n;
  if (ka.table !== kb.table) return ka.table ? -1 : 1;
  return ka.rest < kb.rest ? -1 : ka.rest > kb.rest ? 1 : 0;
}

/** A string safe as an HTML id: letters, digits and dashes. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/**
 * A camelCase key as words: "positiveSpikesAtEarliest" -> "positive spikes at earliest",
 * "accuracyAtTheta0.25" -> "accuracy at θ = 0.25".
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { humanise } from "./format.ts";
 * assert.equal(humanise("noSpikeFraction"), "no spike fraction");
 * assert.equal(humanise("spikeTimeAtTheta0.9"), "spike time at θ = 0.9");
 * assert.equal(humanise("accuracyAtStep14"), "accuracy at step 14");
 * ```
 */
export function humanise(key: string): string {
  return key.replace(/Theta(\d)/g, " θ = $1").replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([a-zA-Z])(\d)/g, "$1 $2").replace(/\s+/g, " ").toLowerCase().trim();
}

/** Seconds as a plain number with one decimal (the unit goes in the column head). */
export function secs(x: number | null | undefined): string {
  return isNum(x)
    ? x.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 })
    : NA;
}

/** A number in a declared unit: fractions as percentages, steps with 2 decimals, counts, seconds. */
export function inMetricUnit(
  x: number | null | undefined,
  unit: "fraction" | "steps" | "count" | "seconds" | "number",
): string {
  if (!isNum(x)) return NA;
  if (unit === "fraction") return pct(x);
  if (unit === "steps") return `${steps(x)} steps`;
  if (unit === "count") return count(x);
  if (unit === "seconds") return `${secs(x)} s`;
  return Number.isInteger(x) ? count(x) : x.toFixed(2);
}

/**
 * A git revision as the report prints it everywhere: the hash cut to 12 hex digits, anything
 * after it (" (given)", "-dirty") kept, so the provenance table and the manifest agree.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gitShort } from "./format.ts";
 * assert.equal(gitShort("f1cf1127c20e8a9b-dirty"), "f1cf1127c20e-dirty");
 * assert.equal(gitShort("f474fffe95e1 (given)"), "f474fffe95e1 (given)");
 * ```
 */
export function gitShort(rev: string | null | undefined): string {
  return rev ? rev.replace(/^([0-9a-f]{12})[0-9a-f]+/, "$1") : NA;
}

/**
 * Wilson's 95 % score interval of a proportion `p` observed on `n` trials.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wilson } from "./format.ts";
 * const { lo, hi } = wilson(0.9, 300); // 270 of 300
 * assert.equal(lo.toFixed(3), "0.861");
 * assert.equal(hi.toFixed(3), "0.929");
 * ```
 */
export function wilson(p: number, n: number): { lo: number; hi: number } {
  const z = 1.959963984540054, z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}
