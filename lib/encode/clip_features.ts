/**
 * Audio file -> log-mel features, shared by the main thread and the feature workers.
 *
 * @module
 */

import { resample } from "../data/resample.ts";
import { nameSeed, padOrCrop, placeInRegion, readWav } from "../data/wav.ts";
import {
  createLogMel,
  DEFAULT_LOGMEL,
  featureShape,
  type LogMelParams,
  type Placement,
  seenRegion,
} from "./logmel.ts";

/** What placement did to a batch of recordings (see {@link placeClip}). */
export interface PlacementStats {
  /** Recordings read. */
  clips: number;
  /** Recordings longer than the room they had, so cut. */
  cropped: number;
  /** Samples dropped over all recordings (at `sampleRate`). */
  samplesCut: number;
  /** File names (last path component) of the cut recordings, in the order read. */
  croppedFiles: string[];
}

/** An empty {@link PlacementStats}. */
export function emptyPlacementStats(): PlacementStats {
  return { clips: 0, cropped: 0, samplesCut: 0, croppedFiles: [] };
}

/** Adds `b` into `a`. */
export function addPlacementStats(a: PlacementStats, b: PlacementStats): void {
  a.clips += b.clips;
  a.cropped += b.cropped;
  a.samplesCut += b.samplesCut;
  a.croppedFiles.push(...b.croppedFiles);
}

/** The last component of a path: the key the seeded placement hashes. */
export function fileName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/**
 * Makes a clip of `p.clipSamples` from audio already at `p.sampleRate`, by
 * `p.placement`:
 * - `"start"`: zero-padded at the end, or cropped to its first `clipSamples`;
 * - `"seeded-offset"`: inside {@link seenRegion} at an offset drawn from the
 *   file name `name` (FNV-1a into `Rng`: fixed per file), or, when longer than the
 *   region, its highest-energy window of the region's length (`placeInRegion`).
 *
 * @returns the clip and the samples dropped
 */
export function placeClip(
  audio: Float32Array,
  name: string,
  p: LogMelParams,
): { samples: Float32Array; cut: number } {
  if (p.placement === "seeded-offset") {
    const placed = placeInRegion(audio, p.clipSamples, seenRegion(p), nameSeed(name));
    return { samples: placed.samples, cut: placed.cut };
  }
  featureShape(p); // Refuses an unknown placement.
  return {
    samples: padOrCrop(audio, p.clipSamples),
    cut: Math.max(0, audio.length - p.clipSamples),
  };
}

/**
 * Reads a PCM16 mono WAV file as `p.sampleRate` audio of exactly `p.clipSamples`
 * samples: resampled when its rate differs (polyphase windowed sinc, see
 * `lib/data/resample.ts`), then placed by `p.placement` ({@link placeClip}, keyed
 * by the file's name).
 *
 * @returns [clipSamples], and the samples dropped
 */
export async function readPlacedClip(
  path: string,
  p: LogMelParams,
): Promise<{ samples: Float32Array; cut: number }> {
  const wav = await readWav(path);
  const audio = wav.sampleRate === p.sampleRate
    ? wav.samples
    : resample(wav.samples, wav.sampleRate, p.sampleRate);
  return placeClip(audio, fileName(path), p);
}

/**
 * {@link readPlacedClip}'s clip alone.
 *
 * @returns [clipSamples]
 */
export async function readClipAudio(path: string, p: LogMelParams): Promise<Float32Array> {
  return (await readPlacedClip(path, p)).samples;
}

/**
 * Features of many files; `stats`, when given, accumulates what placement cut.
 *
 * @returns [files.length, numSteps, numFeatures] row-major
 */
export async function featuriseFiles(
  files: string[],
  params: Partial<LogMelParams>,
  onClip?: (done: number) => void,
  stats?: PlacementStats,
): Promise<Float32Array> {
  const p = { ...DEFAULT_LOGMEL, ...params };
  const { numSteps, numFeatures } = featureShape(p);
  const per = numSteps * numFeatures;
  const extract = createLogMel(p);
  const out = new Float32Array(files.length * per);
  for (let i = 0; i < files.length; i++) {
    const { samples, cut } = await readPlacedClip(files[i], p);
    extract(samples, out, i * per);
    if (stats) {
      stats.clips++;
      if (cut > 0) {
        stats.cropped++;
        stats.samplesCut += cut;
        stats.croppedFiles.push(fileName(files[i]));
      }
    }
    onClip?.(i + 1);
  }
  return out;
}

/**
 * Reads one recording as a 1 s clip exactly as the FSDD features see it:
 * resampled 8 -> 16 kHz with the polyphase windowed-sinc resampler of
 * `lib/data/resample.ts`, then placed by `placement` (default "seeded-offset": at an offset
 * fixed by the file name inside the samples the kept frames see, the rest zeros;
 * "start": zero-padded at the end or cropped to its first second). See
 * {@link placeClip}.
 *
 * @param opts.params log-mel parameters the clip is for (default `DEFAULT_LOGMEL`)
 * @returns [clipSamples] (default 16000) samples in [-1, 1]
 */
export async function readFsddClip(
  path: string,
  opts: { placement?: Placement; params?: Partial<LogMelParams> } = {},
): Promise<Float32Array> {
  const p: LogMelParams = {
    ...DEFAULT_LOGMEL,
    ...opts.params,
    placement: opts.placement ?? opts.params?.placement ?? "seeded-offset",
  };
  return await readClipAudio(path, p);
}
