/**
 * Benchmark results for the report, parsed from the output of `deno bench --json`.
 * @module
 */

/** One benchmark's latest result. */
export interface BenchResult {
  name: string;
  group: string | null;
  /** File the benchmark is in (as `deno bench` reports it). */
  origin: string;
  /** Mean time per iteration in nanoseconds; null when the benchmark failed. */
  avgNs: number | null;
  minNs: number | null;
  maxNs: number | null;
  p75Ns: number | null;
  p99Ns: number | null;
  /** Iterations measured. */
  n: number | null;
  /** Error text of a failed benchmark. */
  error: string | null;
}

/** What the report shows of a benchmark run. */
export interface BenchSummary {
  /** e.g. "Deno/2.9.6 x86_64-unknown-linux-gnu". */
  runtime: string;
  /** CPU model as `deno bench` reports it. */
  cpu: string;
  results: BenchResult[];
}

const num = (x: unknown): number | null => typeof x === "number" && Number.isFinite(x) ? x : null;

/**
 * Parses the JSON that `deno bench --json` prints.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDenoBenchJson } from "./bench.ts";
 * const s = parseDenoBenchJson(JSON.stringify({
 *   version: 1, runtime: "Deno/2.9.6", cpu: "AMD EPYC",
 *   benches: [{ origin: "file:///b.ts", group: "lstm", name: "step", baseline: false,
 *     results: [{ ok: { n: 10, min: 1, max: 3, avg: 2, p75: 2, p99: 3 } }] }],
 * }));
 * assert.equal(s.results[0].avgNs, 2);
 * ```
 */
export function parseDenoBenchJson(text: string): BenchSummary {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `Cannot parse benchmark results as JSON (the output of \`deno bench --json\`): ` +
        (e as Error).message,
    );
  }
  if (!parsed || typeof parsed !== "object" || !Array.isArray(parsed.benches)) {
    throw new Error(
      `Benchmark results must be an object with a "benches" array (\`deno bench --json\`): ` +
        `found ${Array.isArray(parsed) ? "an array" : typeof parsed}`,
    );
  }
  const results: BenchResult[] = [];
  for (const b of parsed.benches as Record<string, unknown>[]) {
    const runs = Array.isArray(b.results) ? b.results as Record<string, unknown>[] : [];
    // `deno bench` gives one result per bench; keep the last, the latest.
    const last = runs.at(-1) ?? {};
    const ok = (last.ok ?? null) as Record<string, unknown> | null;
    const failed = last.failed ?? (ok ? null : "no result");
    results.push({
      name: String(b.name ?? ""),
      group: typeof b.group === "string" ? b.group : null,
      origin: String(b.origin ?? ""),
      avgNs: num(ok?.avg),
      minNs: num(ok?.min),
      maxNs: num(ok?.max),
      p75Ns: num(ok?.p75),
      p99Ns: num(ok?.p99),
      n: num(ok?.n),
      error: failed === null ? null : typeof failed === "string" ? failed : JSON.stringify(failed),
    });
  }
  return {
    runtime: String(parsed.runtime ?? "unknown"),
    cpu: String(parsed.cpu ?? "unknown"),
    results,
  };
}

/** Nanoseconds in the unit that reads best: `850 ns`, `12.30 µs`, `4.56 ms`, `1.20 s`. */
export function formatNs(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return "n/a";
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}
