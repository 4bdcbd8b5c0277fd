/**
 * WAV decoding: RIFF/WAVE, PCM 16-bit, mono. Anything else is refused with an
 * error that names the file, the field and how to convert it. Also the two ways a
 * recording becomes a fixed-length clip: {@link padOrCrop} (zeros at the end) and
 * {@link placeInRegion} (a seeded offset inside a region, the highest-energy window
 * of a recording too long for it).
 *
 * @module
 */

import { fnv1a, Rng } from "../random.ts";

/** Decoded mono audio. */
export interface WavAudio {
  sampleRate: number;
  /** [numFrames] samples scaled to [-1, 1): int16 / 32768. */
  samples: Float32Array;
}

const CONVERT_HINT = "convert it with: sox IN.wav -c 1 -b 16 -e signed-integer OUT.wav";

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/**
 * Decodes a PCM16 mono WAV file held in memory.
 *
 * Chunks other than `fmt ` and `data` (LIST, fact, ...) are skipped. A `data`
 * chunk that claims more bytes than the file holds is an error (truncated file).
 *
 * @param name the file's name or path, used in error messages
 */
export function decodeWav(bytes: Uint8Array, name: string): WavAudio {
  if (bytes.length === 0) throw new Error(`${name}: file is empty (0 bytes), expected a WAV file`);
  if (bytes.length < 12 || fourcc(bytes, 0) !== "RIFF" || fourcc(bytes, 8) !== "WAVE") {
    const head = bytes.length >= 4 ? JSON.stringify(fourcc(bytes, 0)) : `${bytes.length} bytes`;
    throw new Error(
      `${name}: not a RIFF/WAVE file (starts with ${head}, expected "RIFF" ... "WAVE")`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  while (pos + 8 <= bytes.length) {
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === "fmt ") {
      if (size < 16) throw new Error(`${name}: "fmt " chunk is ${size} bytes, need at least 16`);
      if (body + 16 > bytes.length) {
        throw new Error(`${name}: truncated or malformed: the file ends inside the "fmt " chunk`);
      }
      let format = view.getUint16(body, true);
      if (format === 0xfffe && size >= 40 && body + 26 <= bytes.length) {
        format = view.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE: sub-format GUID
      }
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
      checkFormat(fmt, name);
    } else if (id === "data") {
      if (!fmt) throw new Error(`${name}: "data" chunk comes before any "fmt " chunk`);
      const avail = bytes.length - body;
      if (size > avail) {
        throw new Error(
          `${name}: truncated: the data chunk declares ${size} bytes but only ${avail} follow`,
        );
      }
      if (size % 2 !== 0) {
        throw new Error(`${name}: data chunk has an odd length ${size} for 16-bit samples`);
      }
      const n = size / 2;
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = view.getInt16(body + 2 * i, true) / 32768;
      return { sampleRate: fmt.rate, samples };
    }
    pos = body + size + (size & 1);
  }
  if (!fmt) throw new Error(`${name}: truncated or malformed: no "fmt " chunk found`);
  throw new Error(`${name}: truncated or malformed: no "data" chunk found`);
}

function checkFormat(
  f: { format: number; channels: number; rate: number; bits: number },
  name: string,
): void {
  if (f.format === 3) {
    throw new Error(
      `${name}: samples are IEEE float (format 3); only 16-bit PCM is read; ${CONVERT_HINT}`,
    );
  }
  if (f.format !== 1) {
    throw new Error(
      `${name}: audio format ${f.format} is not PCM (1); only 16-bit PCM is read; ${CONVERT_HINT}`,
    );
  }
  if (f.channels !== 1) {
    throw new Error(
      `${name}: ${f.channels} channels (stereo?); only mono is read; ${CONVERT_HINT}`,
    );
  }
  if (f.bits !== 16) {
    throw new Error(`${name}: ${f.bits}-bit samples; only 16-bit PCM is read; ${CONVERT_HINT}`);
  }
  if (f.rate <= 0) throw new Error(`${name}: sample rate is ${f.rate}, must be positive`);
}

/** Reads and decodes a PCM16 mono WAV file. */
export async function readWav(path: string): Promise<WavAudio> {
  return decodeWav(await Deno.readFile(path), path);
}

/**
 * Pads with zeros at the end, or crops the end, to exactly `length` samples.
 *
 * @returns [length] a new array (the input is never aliased)
 */
export function padOrCrop(samples: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(samples.length > length ? samples.subarray(0, length) : samples);
  return out;
}

/** Where {@link placeInRegion} put a recording, and what it had to drop. */
export interface Placed {
  /** [length] the clip: zeros, then the kept samples at `offset`, then zeros. */
  samples: Float32Array;
  /** Index in the clip of the first kept sample. */
  offset: number;
  /** Index in the recording of the first kept sample (0 unless it was cut). */
  from: number;
  /** Samples kept (contiguous, in order). */
  kept: number;
  /** Samples of the recording dropped because it is longer than the region. */
  cut: number;
}

/** FNV-1a of a file name (lib/random.ts `fnv1a`): a 32-bit seed fixed per file. */
export const nameSeed: (name: string) => number = fnv1a;

/**
 * Places a recording inside `region` ([start, end) of a clip of `length` samples),
 * the rest zeros.
 *
 * A recording of n <= end - start samples is copied whole, unchanged, at an offset
 * drawn uniformly from the integers start .. end - n by `new Rng(seed)`: the same
 * seed (e.g. {@link nameSeed} of the file name) always gives the same offset.
 * A longer one keeps its window of end - start samples with the highest energy
 * (sum of squares; the earliest such window on ties), placed at `start`; `cut`
 * counts the samples dropped.
 */
export function placeInRegion(
  samples: Float32Array,
  length: number,
  region: { start: number; end: number },
  seed: number,
): Placed {
  const { start, end } = region;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end)) {
    throw new Error(`placeInRegion: region [${start}, ${end}) is not a non-empty integer range`);
  }
  if (end > length) {
    throw new Error(`placeInRegion: region [${start}, ${end}) exceeds the clip of ${length}`);
  }
  const room = end - start;
  const out = new Float32Array(length);
  const n = samples.length;
  if (n <= room) {
    const offset = start + new Rng(seed).int(room - n + 1);
    out.set(samples, offset);
    return { samples: out, offset, from: 0, kept: n, cut: 0 };
  }
  // Sliding sum of squares in float64; the earliest maximal window wins.
  let energy = 0;
  for (let i = 0; i < room; i++) energy += samples[i] * samples[i];
  let best = energy;
  let from = 0;
  for (let i = room; i < n; i++) {
    energy += samples[i] * samples[i] - samples[i - room] * samples[i - room];
    if (energy > best) {
      best = energy;
      from = i - room + 1;
    }
  }
  out.set(samples.subarray(from, from + room), start);
  return { samples: out, offset: start, from, kept: room, cut: n - room };
}
