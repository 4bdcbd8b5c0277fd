/**
 * Log-mel feature sets for the keyword-spotting tasks (FSDD, Speech Commands),
 * computed once and cached on disk.
 *
 * Cache: `<dataDir>/features/<dataset>-<key>.bin` (per split: x as Float32 then y as
 * Int32, little-endian) and `.json` (header: counts, offsets, params, classes,
 * data checksum, train mean/std, what placement cut). `key` is a hash of the data checksum, the
 * feature parameters and the subset, so changing any of them computes anew. The
 * header is written last, after the `.bin` is complete, so a partial cache is
 * never read.
 *
 * Feature parameters beyond the log-mel ones (both in `params`, both in the key):
 * `contextMode` ("recurrent", default: [N, 81, 20]; "stacked": [N, 81, 420], each
 * step the frame with its 10 frames of context on each side) and `placement`
 * (FSDD default "seeded-offset": each recording at a fixed per-file offset inside
 * the samples the used frames see; Speech Commands default "start": its 1 s clips
 * as they are). See `logmel.ts`.
 *
 * @module
 */

import {
  type DownloadProgress,
  type FetchOptions,
  resolveDataDir,
  sha256Hex,
  stderrProgress,
} from "../data/download.ts";
import { loadFsdd } from "../data/fsdd.ts";
import { loadSpeechCommands, type SpeechCommandsOptions } from "../data/speech_commands.ts";
import {
  addPlacementStats,
  emptyPlacementStats,
  featuriseFiles,
  type PlacementStats,
} from "./clip_features.ts";
import { DEFAULT_LOGMEL, featureShape, type LogMelParams } from "./logmel.ts";

/** One split's features. */
export interface FeatureSplit {
  /** [count, numSteps, numFeatures] row-major (time before feature). */
  x: Float32Array;
  /** [count] class indices into `classes`. */
  y: Int32Array;
  count: number;
  numSteps: number;
  numFeatures: number;
  classes: string[];
}

/** A featurised data set. */
export interface FeatureSet {
  train: FeatureSplit;
  validation: FeatureSplit;
  test: FeatureSplit;
  /** Checksum of the audio the features were computed from. */
  checksum: string;
  params: LogMelParams;
  /** [numFeatures] per-feature mean over the train split (all frames). */
  mean: Float32Array;
  /** [numFeatures] per-feature standard deviation over the train split. */
  std: Float32Array;
  /** What `params.placement` did: recordings cut because longer than their room, samples dropped. */
  placementStats: PlacementStats;
  /** The `.bin` file of the cache entry. */
  cachePath: string;
  /** Whether the features were read from the cache rather than computed. */
  fromCache: boolean;
}

/** Options of the feature loaders. */
export interface FeatureOptions extends FetchOptions {
  /**
   * Overrides of {@link DEFAULT_LOGMEL}, including `contextMode` ("recurrent" |
   * "stacked") and `placement` ("start" | "seeded-offset"; FSDD defaults to
   * "seeded-offset", Speech Commands to "start").
   */
  params?: Partial<LogMelParams>;
  /** Worker threads for extraction; default: one per core (max 8) above 2,000 clips, else 0 (inline). */
  workers?: number;
  /** Keep only the first N clips of each split (quick runs and tests). */
  limitPerSplit?: number;
}

const SPLITS = ["train", "validation", "test"] as const;
type SplitName = typeof SPLITS[number];
const CACHE_VERSION = 2;

interface Header {
  version: number;
  dataset: string;
  checksum: string;
  params: LogMelParams;
  classes: string[];
  numSteps: number;
  numFeatures: number;
  limitPerSplit: number | null;
  mean: number[];
  std: number[];
  placementStats: PlacementStats;
  splits: Record<SplitName, { count: number; xOffset: number; yOffset: number }>;
}

type Listing = Record<SplitName, { path: string; label: number }[]>;

/**
 * FSDD log-mel features: fetches and verifies the recordings if needed,
 * resamples 8 -> 16 kHz, places each in a 1 s clip (default `placement`
 * "seeded-offset": at a fixed per-file offset inside the samples the used frames
 * see; "start": zero-padded at the end), splits by take (0-4 test, 5-9 validation,
 * rest train). Default shape per split: [N, 81, 20], 10 classes.
 */
export async function loadFsddFeatures(opts: FeatureOptions = {}): Promise<FeatureSet> {
  const d = await loadFsdd({ ...opts, limitPerSplit: opts.limitPerSplit });
  const params = { ...opts.params, placement: opts.params?.placement ?? "seeded-offset" };
  return await cachedFeatures("fsdd", d.checksum, d.classes, d, { ...opts, params });
}

/**
 * Speech Commands v0.02 log-mel features: fetches, verifies and extracts the
 * archive if needed (`archive`: another archive spec, verified the same way; or
 * `root`, an extracted copy), official split, 11 classes. Clips are used as they
 * are (default `placement` "start"). Default shape per split: [N, 81, 20].
 */
export async function loadSpeechCommandsFeatures(
  opts: FeatureOptions & SpeechCommandsOptions = {},
): Promise<FeatureSet> {
  const s = await loadSpeechCommands(opts);
  const listing = {} as Listing;
  for (const split of SPLITS) {
    const clips = opts.limitPerSplit === undefined
      ? s[split]
      : s[split].slice(0, opts.limitPerSplit);
    listing[split] = clips.map((c) => ({ path: `${s.root}/${c.file}`, label: c.label }));
  }
  return await cachedFeatures("speech-commands", s.checksum, s.classes, listing, opts);
}

async function cachedFeatures(
  dataset: string,
  checksum: string,
  classes: string[],
  listing: Listing,
  opts: FeatureOptions,
): Promise<FeatureSet> {
  const params: LogMelParams = { ...DEFAULT_LOGMEL };
  for (const [k, v] of Object.entries(opts.params ?? {})) {
    if (v !== undefined) (params as unknown as Record<string, unknown>)[k] = v;
  }
  const { numSteps, numFeatures } = featureShape(params);
  const limit = opts.limitPerSplit ?? null;
  const key = sha256Hex(JSON.stringify({ v: CACHE_VERSION, dataset, checksum, params, limit }))
    .slice(0, 16);
  const dir = `${resolveDataDir(opts.dataDir)}/features`;
  const base = `${dir}/${dataset}-${key}`;
  const cached = await readCache(base, checksum);
  if (cached) return cached;

  const progress = opts.onProgress ?? (opts.quiet ? undefined : stderrProgress());
  const all = SPLITS.flatMap((s) => listing[s].map((e) => e.path));
  const placementStats = emptyPlacementStats();
  const x = await featuriseParallel(
    all,
    params,
    opts.workers,
    progress,
    `${dataset} features`,
    placementStats,
  );
  if (placementStats.cropped > 0 && !opts.quiet) {
    console.error(
      `${dataset} features: ${placementStats.cropped} of ${placementStats.clips} recordings ` +
        `longer than their room (placement "${params.placement}"): ` +
        `${placementStats.samplesCut} samples cut`,
    );
  }
  const per = numSteps * numFeatures;
  const header: Header = {
    version: CACHE_VERSION,
    dataset,
    checksum,
    params,
    classes,
    numSteps,
    numFeatures,
    limitPerSplit: limit,
    mean: [],
    std: [],
    placementStats,
    splits: {} as Header["splits"],
  };
  const parts: Uint8Array[] = [];
  let offset = 0;
  let clip = 0;
  for (const split of SPLITS) {
    const count = listing[split].length;
    const xs = x.subarray(clip * per, (clip + count) * per);
    const ys = Int32Array.from(listing[split], (e) => e.label);
    header.splits[split] = { count, xOffset: offset, yOffset: offset + xs.byteLength };
    parts.push(new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength));
    parts.push(new Uint8Array(ys.buffer));
    offset += xs.byteLength + ys.byteLength;
    clip += count;
  }
  const stats = meanStd(x.subarray(0, listing.train.length * per), numFeatures);
  header.mean = Array.from(stats.mean);
  header.std = Array.from(stats.std);
  await Deno.mkdir(dir, { recursive: true });
  await writeAtomic(`${base}.bin`, parts);
  await writeAtomic(`${base}.json`, [new TextEncoder().encode(JSON.stringify(header, null, 1))]);
  const fresh = await readCache(base, checksum);
  if (!fresh) throw new Error(`${base}.json: feature cache unreadable right after writing it`);
  return { ...fresh, fromCache: false };
}

async function writeAtomic(path: string, parts: Uint8Array[]): Promise<void> {
  const tmp = `${path}.tmp`;
  {
    using f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    for (const part of parts) {
      let w = 0;
      while (w < part.byteLength) w += await f.write(part.subarray(w));
    }
  }
  await Deno.rename(tmp, path);
}

async function readCache(base: string, checksum: string): Promise<FeatureSet | null> {
  let header: Header;
  try {
    header = JSON.parse(await Deno.readTextFile(`${base}.json`));
  } catch {
    return null;
  }
  if (header.version !== CACHE_VERSION || header.checksum !== checksum) return null;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(`${base}.bin`);
  } catch {
    return null;
  }
  const per = header.numSteps * header.numFeatures;
  const expected = SPLITS.reduce((n, s) => n + header.splits[s].count * (per + 1) * 4, 0);
  if (bytes.byteLength !== expected) {
    // Wrong size: a damaged entry; drop it and recompute.
    await Deno.remove(`${base}.json`).catch(() => {});
    return null;
  }
  const split = (s: SplitName): FeatureSplit => {
    const { count, xOffset, yOffset } = header.splits[s];
    return {
      x: new Float32Array(bytes.buffer, bytes.byteOffset + xOffset, count * per),
      y: new Int32Array(bytes.buffer, bytes.byteOffset + yOffset, count),
      count,
      numSteps: header.numSteps,
      numFeatures: header.numFeatures,
      classes: header.classes,
    };
  };
  return {
    train: split("train"),
    validation: split("validation"),
    test: split("test"),
    checksum,
    params: header.params,
    mean: Float32Array.from(header.mean),
    std: Float32Array.from(header.std),
    placementStats: header.placementStats,
    cachePath: `${base}.bin`,
    fromCache: true,
  };
}

/** Per-feature mean and standard deviation of [N, F] rows (N = frames of all clips). */
function meanStd(x: Float32Array, f: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(f);
  const sq = new Float64Array(f);
  const rows = x.length / f;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < f; j++) {
      const v = x[r * f + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  const std = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    mean[j] /= Math.max(rows, 1);
    std[j] = Math.sqrt(Math.max(sq[j] / Math.max(rows, 1) - mean[j] * mean[j], 0));
  }
  return { mean, std };
}

const CHUNK = 512;

/**
 * Features of `files`, split across `workers` worker threads (0: inline);
 * `stats`, when given, accumulates what placement cut.
 *
 * @returns [files.length, numSteps, numFeatures] (see `featureShape`)
 */
export async function featuriseParallel(
  files: string[],
  params: LogMelParams,
  workers: number | undefined,
  onProgress: ((p: DownloadProgress) => void) | undefined,
  label = "features",
  stats?: PlacementStats,
): Promise<Float32Array> {
  const { numSteps, numFeatures } = featureShape(params);
  const per = numSteps * numFeatures;
  const n = workers ??
    (files.length > 2000 ? Math.min(navigator.hardwareConcurrency || 1, 8) : 0);
  const report = (done: number) =>
    onProgress?.({ name: label, done, total: files.length, unit: "clips" });
  if (n <= 0 || files.length === 0) {
    return await featuriseFiles(files, params, (d) => {
      if (d % 256 === 0 || d === files.length) report(d);
    }, stats);
  }
  const out = new Float32Array(files.length * per);
  const pool = Array.from(
    { length: Math.min(n, Math.ceil(files.length / CHUNK)) },
    () => new Worker(new URL("./logmel_worker.ts", import.meta.url).href, { type: "module" }),
  );
  let next = 0;
  let done = 0;
  // Chunks finish out of order: keep each chunk's stats and add them in file order.
  const chunkStats: PlacementStats[] = [];
  try {
    await Promise.all(pool.map(async (w) => {
      while (next < files.length) {
        const start = next;
        next = Math.min(files.length, next + CHUNK);
        const chunk = files.slice(start, next);
        const { x, stats: s } = await new Promise<
          { x: Float32Array; stats: PlacementStats }
        >((resolve, reject) => {
          w.onmessage = (
            e: MessageEvent<{ x?: Float32Array; stats?: PlacementStats; error?: string }>,
          ) =>
            e.data.x && e.data.stats
              ? resolve({ x: e.data.x, stats: e.data.stats })
              : reject(new Error(e.data.error));
          w.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`feature worker failed: ${e.message}`));
          };
          w.postMessage({ files: chunk, params });
        });
        out.set(x, start * per);
        chunkStats[start / CHUNK] = s;
        done += chunk.length;
        report(done);
      }
    }));
  } finally {
    for (const w of pool) w.terminate();
  }
  if (stats) { for (const s of chunkStats) addPlacementStats(stats, s); }
  return out;
}
