/**
 * Worker for parallel feature extraction. Message in:
 * `{ files: string[], params: LogMelParams }`; message out:
 * `{ x: Float32Array, stats: PlacementStats }` ([files, numSteps, numFeatures],
 * transferred) or `{ error: string }`.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { emptyPlacementStats, featuriseFiles } from "./clip_features.ts";
import type { LogMelParams } from "./logmel.ts";

self.onmessage = async (e: MessageEvent<{ files: string[]; params: LogMelParams }>) => {
  try {
    const stats = emptyPlacementStats();
    const x = await featuriseFiles(e.data.files, e.data.params, undefined, stats);
    self.postMessage({ x, stats }, [x.buffer as ArrayBuffer]);
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
