/**
 * `--set key=value` config overrides, checked against the keys an experiment declares settable.
 * @module
 */
import type { ConfigSchema, FieldType } from "./declaration.ts";
import { fnv1a } from "../random.ts";

function describe(type: FieldType): string {
  if (typeof type !== "string") return `one of ${type.join(", ")}`;
  return type === "integer" ? "an integer" : `a ${type}`;
}

function parseValue(key: string, text: string, type: FieldType): unknown {
  const fail = () =>
    new Error(`--set ${key}=${text}: ${key} expects ${describe(type)}, got "${text}".`);
  if (typeof type !== "string") {
    if (!type.includes(text)) throw fail();
    return text;
  }
  if (type === "string") return text;
  if (type === "boolean") {
    if (text !== "true" && text !== "false") throw fail();
    return text === "true";
  }
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || (type === "integer" && !Number.isInteger(n))) {
    throw fail();
  }
  return n;
}

/**
 * Parses `key=value` pairs against `schema`: unknown keys and values of the wrong type are
 * errors that list what is accepted. A later pair for the same key wins.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOverrides } from "./overrides.ts";
 * const schema = { beta: "number", selectBy: ["spiking", "last"] } as const;
 * assert.deepEqual(parseOverrides(["beta=0.2"], schema, "toy"), { beta: 0.2 });
 * assert.throws(() => parseOverrides(["beta=high"], schema, "toy"), /beta expects a number/);
 * assert.throws(() => parseOverrides(["gamma=1"], schema, "toy"), /valid keys: beta, selectBy/);
 * ```
 */
export function parseOverrides(
  pairs: readonly string[],
  schema: ConfigSchema<Record<string, unknown>>,
  experiment: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(schema);
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--set ${pair}: expected key=value (e.g. --set beta=0.2).`);
    const key = pair.slice(0, eq).trim();
    const type = schema[key];
    if (!type) {
      throw new Error(
        `--set ${pair}: ${experiment} has no settable config key "${key}"; valid keys: ${
          keys.length ? keys.join(", ") : "none"
        }.`,
      );
    }
    out[key] = parseValue(key, pair.slice(eq + 1).trim(), type);
  }
  return out;
}

/** Override suffixes longer than this are named by a hash of their text (`+set-1a2b3c4d`). */
export const MAX_SUFFIX_LENGTH = 40;

/**
 * The run-name suffix of a set of overrides, so an overridden run never replaces the run made
 * without them: `{ beta: 0.2 }` -> `"+beta=0.2"`. A value that is a path keeps the run a file
 * name: its separators (and any other character a file name should not hold) become "_". A
 * suffix longer than `MAX_SUFFIX_LENGTH` becomes `+set-` and 8 hex digits of FNV-1a over it: a
 * name that fits a table, the same for every run of one `--set` (so RC still finds its EOS
 * baseline); the record's `overrides` and deviations list what was set.
 */
export function overrideSuffix(overrides: Record<string, unknown>): string {
  const safe = (v: unknown) => String(v).replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  const full = Object.keys(overrides).sort().map((k) => `+${k}=${safe(overrides[k])}`).join("");
  if (full.length <= MAX_SUFFIX_LENGTH) return full;
  return `+set-${fnv1a(full).toString(16).padStart(8, "0")}`;
}

const OVERRIDE_DEVIATION = /^config override: (\S+) = (.*) \(paper: (.*)\)$/;

/** The deviation an override makes: "config override: beta = 0.2 (paper: 0)". */
export function overrideDeviations(
  overrides: Record<string, unknown>,
  paper: Record<string, unknown> | undefined,
): string[] {
  return Object.entries(overrides).map(([k, v]) =>
    `config override: ${k} = ${v} (paper: ${paper?.[k] ?? "not set"})`
  );
}

/**
 * The parts of a deviation `overrideDeviations` wrote (so a report can show the config key as
 * code); null for any other deviation.
 */
export function parseOverrideDeviation(
  text: string,
): { key: string; value: string; paper: string } | null {
  const m = OVERRIDE_DEVIATION.exec(text);
  return m ? { key: m[1], value: m[2], paper: m[3] } : null;
}
