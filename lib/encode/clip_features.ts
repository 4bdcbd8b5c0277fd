/**
 * Audio file -> log-mel features, shared by the main thread and the feature workers.
 *
 * @module
 */

import { resample } from "../data/resample.ts";
import { padOrCrop, readWav } from "../data/wav.ts";
import { createLogMel, DEFAULT_LOGMEL, frameLayout, type LogMelParams } from "./logmel.ts";

/**
 * Reads a PCM16 mono WAV file as `p.sampleRate` audio of exactly `p.clipSamples`
 * samples: resampled when its rate differs (polyphase windowed sinc, see
 * `lib/data/resample.ts`), then zero-padded at the end or cropped to its start.
 *
 * @returns [clipSamples]
 */
export async function readClipAudio(path: string, p: LogMelParams): Promise<Float32Array> {
  const wav = await readWav(path);
  const audio = wav.sampleRate === p.sampleRate
    ? wav.samples
    : resample(wav.samples, wav.sampleRate, p.sampleRate);
  return padOrCrop(audio, p.clipSamples);
}

/**
 * Features of many files.
 *
 * @returns [files.length, numFrames, numMel] row-major
 */
export async function featuriseFiles(
  files: string[],
  params: Partial<LogMelParams>,
  onClip?: (done: number) => void,
): Promise<Float32Array> {
  const p = { ...DEFAULT_LOGMEL, ...params };
  const per = frameLayout(p).numFrames * p.numMel;
  const extract = createLogMel(p);
  const out = new Float32Array(files.length * per);
  for (let i = 0; i < files.length; i++) {
    extract(await readClipAudio(files[i], p), out, i * per);
    onClip?.(i + 1);
  }
  return out;
}
