/**
 * fit()'s state at a validation point, enough to resume training exactly: the weights, the best
 * weights so far, Adam's moments and running β powers, the curves, the compute counts and the
 * early-stopping state. Saved as one file in the weights format of lib/models/weights.ts (the
 * arrays as float32, everything else in the header's `meta`, non-finite numbers kept).
 *
 * The training batches are not part of it: fit() asks for batch `i` by its index, so a caller's
 * batch order must be a function of the index (and a seed), which makes the data order resume
 * with no random-generator state to save.
 * @module
 */
import { decodeWeights, encodeWeights } from "../models/weights.ts";
import type { ComputeCounts, CurvePoint } from "./types.ts";

/** Adam's state: first and second moments per variable, and the running powers β1^t, β2^t. */
export interface OptimizerState {
  m: Float32Array[];
  v: Float32Array[];
  acc1: number;
  acc2: number;
  /** Adam steps taken. */
  step: number;
}

/** fit() at a validation point. */
export interface FitState {
  /** Batches done. */
  batch: number;
  curves: CurvePoint[];
  best: CurvePoint | null;
  compute: ComputeCounts;
  /** The weights now, in `model.variables` order. */
  weights: Float32Array[];
  /** The weights of the best validation point (null: none kept, `selectBy: "last"`). */
  bestWeights: Float32Array[] | null;
  optimizer: OptimizerState;
  /** Set when early stopping ended training at this point. */
  stopped?: { batch: number; reason: string };
  /** The path that trained (a resume on another path would not give the same numbers). */
  path: string;
}

/** Throws unless `s` has one moment pair per variable of the given sizes. */
export function checkOptimizerState(s: OptimizerState, sizes: number[], who: string): void {
  if (s.m.length !== sizes.length || s.v.length !== sizes.length) {
    throw new Error(
      `${who}: optimizer state has ${s.m.length} moments for ${sizes.length} variables; it was ` +
        "saved for another model",
    );
  }
  sizes.forEach((n, k) => {
    if (s.m[k].length !== n || s.v[k].length !== n) {
      throw new Error(
        `${who}: optimizer moment ${k} has ${s.m[k].length} values, the variable ${n}; it was ` +
          "saved for another model",
      );
    }
  });
}

const NONFINITE = "__nonfinite";

/** JSON that keeps NaN and ±Infinity (as `{"__nonfinite": "NaN"}`). */
function stringify(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(
      value,
      (_k, v) => typeof v === "number" && !Number.isFinite(v) ? { [NONFINITE]: String(v) } : v,
    ),
  );
}

function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o[NONFINITE] === "string" && Object.keys(o).length === 1) {
      return Number(o[NONFINITE]);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

/** The bytes of a checkpoint; `meta` (e.g. the run's config hash) is stored beside the state. */
export function encodeFitState(state: FitState, meta: Record<string, unknown> = {}): Uint8Array {
  const n = state.weights.length;
  const arrays = [
    ...state.weights,
    ...(state.bestWeights ?? []),
    ...state.optimizer.m,
    ...state.optimizer.v,
  ];
  return encodeWeights(
    { kind: "fit-checkpoint" },
    arrays.map((a) => [a.length]),
    arrays,
    stringify({
      meta,
      variables: n,
      hasBest: state.bestWeights !== null,
      batch: state.batch,
      curves: state.curves,
      best: state.best,
      compute: state.compute,
      acc1: state.optimizer.acc1,
      acc2: state.optimizer.acc2,
      step: state.optimizer.step,
      stopped: state.stopped ?? null,
      path: state.path,
    }) as Record<string, unknown>,
  );
}

/** Decodes a checkpoint written by {@link encodeFitState}; `source` names it in errors. */
export function decodeFitState(
  bytes: Uint8Array,
  source = "checkpoint",
): { state: FitState; meta: Record<string, unknown> } {
  const w = decodeWeights(bytes, source);
  const h = revive(w.header.meta) as Record<string, unknown> & {
    variables: number;
    hasBest: boolean;
  };
  if (w.header.model.kind !== "fit-checkpoint" || typeof h.variables !== "number") {
    throw new Error(`${source}: not a fit() checkpoint (a model's weights file?)`);
  }
  const n = h.variables;
  const parts = h.hasBest ? 4 : 3;
  if (w.values.length !== parts * n) {
    throw new Error(`${source}: ${w.values.length} arrays, expected ${parts * n}: corrupt`);
  }
  let k = 0;
  const take = () => w.values.slice(k, k += n);
  const weights = take();
  const bestWeights = h.hasBest ? take() : null;
  const m = take();
  const v = take();
  return {
    state: {
      batch: h.batch as number,
      curves: h.curves as CurvePoint[],
      best: h.best as CurvePoint | null,
      compute: h.compute as ComputeCounts,
      weights,
      bestWeights,
      optimizer: {
        m,
        v,
        acc1: h.acc1 as number,
        acc2: h.acc2 as number,
        step: h.step as number,
      },
      ...(h.stopped ? { stopped: h.stopped as FitState["stopped"] } : {}),
      path: h.path as string,
    },
    meta: (h.meta ?? {}) as Record<string, unknown>,
  };
}

/** Writes a checkpoint atomically (temporary file, then rename). */
export async function saveFitState(
  path: string,
  state: FitState,
  meta: Record<string, unknown> = {},
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, encodeFitState(state, meta));
  await Deno.rename(tmp, path);
}

/** Reads a checkpoint, or null when there is none at `path`. */
export async function loadFitState(
  path: string,
): Promise<{ state: FitState; meta: Record<string, unknown> } | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  return decodeFitState(bytes, path);
}
