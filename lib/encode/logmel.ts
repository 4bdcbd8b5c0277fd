/**
 * Log-mel filterbank energies (paper App. B.4): Hamming window 25 ms, stride
 * 10 ms, 20 mel filters, 81 frames per 1 s clip.
 *
 * Interpretation of "81 frames" with "an input context of 10 frames on either
 * side": the 16,000-sample clip is framed with its frames centred on samples
 * 0, 160, ..., 16000 (the signal zero-padded by half a window at each end), which
 * gives 1 + 16000 / 160 = 101 frames. The first and last `context` (10) frames
 * lack a full +-10 frame context, so frames 10..90 are kept: 81 frames. The
 * context is what the RNN sees through its recurrence; each step's input stays
 * `numMel` (20) wide, matching the paper's "20 frequency-features over a sequence
 * of 81 frames". (Unpadded framing would give 98 frames, 78 with full context.)
 *
 * Per frame: x = frame * hamming (symmetric, 0.54 - 0.46 cos(2 pi n / (W - 1))),
 * zero-padded to `fftSize`; P_k = |DFT(x)_k|^2 for k = 0..fftSize/2; mel energy
 * E_m = sum_k w_mk P_k with triangular HTK filters (mel = 2595 log10(1 + f/700),
 * `numMel + 2` edges equally spaced in mel from `fMin` to `fMax`, unit peak);
 * feature = ln(E_m + logFloor). No normalisation here: `FeatureSet` carries the
 * train split's per-feature mean and std for the model to standardise with.
 *
 * Two ways to give each step its context (`contextMode`):
 * - `"recurrent"` (default): step t is kept frame t alone, [81, 20]; the RNN gathers
 *   the context through its recurrence.
 * - `"stacked"`: step t is frames t, t+1, ..., t+2*context of the full 101-frame
 *   sequence, concatenated in that order (the centre frame is t+context, i.e. kept
 *   frame t): [81, 21 * 20 = 420], feature index j * numMel + m for frame t+j.
 *
 * `placement` says where audio shorter than a clip goes (see `lib/data/wav.ts`,
 * `placeInRegion`): `"start"` zero-pads at the end (Speech Commands' clips are
 * already 1 s, so they stay as they are); `"seeded-offset"` puts it at an offset
 * drawn once per file name inside {@link seenRegion}, the samples the used frames
 * see (the FSDD default).
 * `fMin`/`fMax` default to 20/4000 Hz, the defaults of TensorFlow's speech
 * commands front end used by Zhang et al. (2017).
 *
 * @module
 */

import FFT from "fft.js";

/** Feature parameters; all part of the feature cache key. */
export interface LogMelParams {
  /** Hz. */
  sampleRate: number;
  /** Samples per clip after padding/cropping (1 s). */
  clipSamples: number;
  windowMs: number;
  strideMs: number;
  numMel: number;
  /** Frames of context required on either side; that many frames are dropped at each end. */
  context: number;
  fftSize: number;
  fMin: number;
  fMax: number;
  /** Centre frames on multiples of the stride (zero-pad half a window at each end). */
  center: boolean;
  logFloor: number;
  /** How each step carries its context: the recurrence alone, or stacked frames (see module doc). */
  contextMode: ContextMode;
  /** Where shorter audio sits in the clip (see module doc). */
  placement: Placement;
}

/** `"recurrent"`: [numFrames, numMel]; `"stacked"`: [numFrames, (2 context + 1) numMel]. */
export type ContextMode = "recurrent" | "stacked";

/** `"start"`: zero-pad at the end; `"seeded-offset"`: a fixed per-file offset in the seen region. */
export type Placement = "start" | "seeded-offset";

const CONTEXT_MODES: readonly ContextMode[] = ["recurrent", "stacked"];
const PLACEMENTS: readonly Placement[] = ["start", "seeded-offset"];

/** The paper's parameters: 81 frames x 20 features per 1 s clip at 16 kHz. */
export const DEFAULT_LOGMEL: LogMelParams = {
  sampleRate: 16000,
  clipSamples: 16000,
  windowMs: 25,
  strideMs: 10,
  numMel: 20,
  context: 10,
  fftSize: 512,
  fMin: 20,
  fMax: 4000,
  center: true,
  logFloor: 1e-6,
  contextMode: "recurrent",
  placement: "start",
};

/** Samples per window, stride, total frames before the context crop, and frames kept. */
export function frameLayout(p: LogMelParams): {
  window: number;
  stride: number;
  allFrames: number;
  numFrames: number;
} {
  const window = Math.round((p.sampleRate * p.windowMs) / 1000);
  const stride = Math.round((p.sampleRate * p.strideMs) / 1000);
  const allFrames = p.center
    ? 1 + Math.floor(p.clipSamples / stride)
    : 1 + Math.floor((p.clipSamples - window) / stride);
  const numFrames = allFrames - 2 * p.context;
  if (window > p.fftSize) {
    throw new Error(
      `log-mel: window of ${window} samples exceeds fftSize ${p.fftSize}; raise fftSize`,
    );
  }
  if (numFrames < 1) {
    throw new Error(
      `log-mel: ${allFrames} frames leave ${numFrames} after dropping context ${p.context} ` +
        "at each end; lower context or lengthen the clip",
    );
  }
  return { window, stride, allFrames, numFrames };
}

/** Steps per clip and features per step: [81, 20] recurrent, [81, 420] stacked (defaults). */
export function featureShape(p: LogMelParams): { numSteps: number; numFeatures: number } {
  if (!CONTEXT_MODES.includes(p.contextMode)) {
    throw new Error(
      `log-mel: contextMode "${p.contextMode}" is unknown; use one of ${CONTEXT_MODES.join(", ")}`,
    );
  }
  if (!PLACEMENTS.includes(p.placement)) {
    throw new Error(
      `log-mel: placement "${p.placement}" is unknown; use one of ${PLACEMENTS.join(", ")}`,
    );
  }
  const { numFrames } = frameLayout(p);
  const width = p.contextMode === "stacked" ? 2 * p.context + 1 : 1;
  return { numSteps: numFrames, numFeatures: width * p.numMel };
}

/**
 * The samples of a clip that reach at least one frame the features use, as
 * [start, end): the kept frames 10..90 in `"recurrent"` mode, all 101 frames in
 * `"stacked"` mode, each covering `window` samples from its centre minus half a
 * window (centred framing). Defaults: [1400, 14600) recurrent, [0, 16000) stacked.
 */
export function seenRegion(p: LogMelParams): { start: number; end: number } {
  const { window, stride, allFrames } = frameLayout(p);
  featureShape(p);
  const pad = p.center ? Math.floor(window / 2) : 0;
  const first = p.contextMode === "stacked" ? 0 : p.context;
  const last = p.contextMode === "stacked" ? allFrames - 1 : allFrames - 1 - p.context;
  const start = Math.max(0, first * stride - pad);
  const end = Math.min(p.clipSamples, last * stride - pad + window);
  return { start, end };
}

/** HTK mel scale. */
export function hzToMel(f: number): number {
  return 2595 * Math.log10(1 + f / 700);
}

/** Inverse of {@link hzToMel}. */
export function melToHz(m: number): number {
  return 700 * (10 ** (m / 2595) - 1);
}

/**
 * Triangular mel filterbank.
 *
 * @returns [numMel, fftSize / 2 + 1] weights, row-major
 */
export function melFilterbank(p: LogMelParams): Float64Array {
  if (!(p.fMin >= 0 && p.fMax > p.fMin && p.fMax <= p.sampleRate / 2)) {
    throw new Error(
      `log-mel: need 0 <= fMin < fMax <= sampleRate/2: current values are fMin ${p.fMin}, ` +
        `fMax ${p.fMax}, sampleRate ${p.sampleRate}`,
    );
  }
  const bins = p.fftSize / 2 + 1;
  const lo = hzToMel(p.fMin);
  const hi = hzToMel(p.fMax);
  const edges = Array.from(
    { length: p.numMel + 2 },
    (_, i) => melToHz(lo + ((hi - lo) * i) / (p.numMel + 1)),
  );
  const fb = new Float64Array(p.numMel * bins);
  for (let m = 0; m < p.numMel; m++) {
    const [a, c, b] = [edges[m], edges[m + 1], edges[m + 2]];
    for (let k = 0; k < bins; k++) {
      const f = (k * p.sampleRate) / p.fftSize;
      let w = 0;
      if (f > a && f <= c) w = (f - a) / (c - a);
      else if (f > c && f < b) w = (b - f) / (b - c);
      fb[m * bins + k] = w;
    }
  }
  return fb;
}

/**
 * Builds a reusable extractor (FFT plan, window and filterbank computed once).
 *
 * @returns a function from [clipSamples] audio to [numSteps, numFeatures] features
 *   (see {@link featureShape}), row-major (time first), written into `out` at
 *   `offset` when given
 */
export function createLogMel(
  params: Partial<LogMelParams> = {},
): (samples: Float32Array, out?: Float32Array, offset?: number) => Float32Array {
  const p = { ...DEFAULT_LOGMEL, ...params };
  const { window, stride, allFrames, numFrames } = frameLayout(p);
  const { numFeatures } = featureShape(p);
  const n = p.fftSize;
  if (!Number.isInteger(Math.log2(n)) || n < 4) {
    throw new Error(`log-mel: fftSize must be a power of two >= 4: current value is ${n}`);
  }
  const bins = n / 2 + 1;
  const fft = new FFT(n);
  const frame = new Float64Array(n);
  const spectrum = fft.createComplexArray() as number[];
  const power = new Float64Array(bins);
  const hamming = new Float64Array(window);
  for (let i = 0; i < window; i++) {
    hamming[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (window - 1));
  }
  const fb = melFilterbank(p);
  // Sparse rows: each filter's first non-zero bin and its weights.
  const rows = Array.from({ length: p.numMel }, (_, m) => {
    const row = fb.subarray(m * bins, (m + 1) * bins);
    let first = row.findIndex((w) => w > 0);
    if (first < 0) {
      throw new Error(
        `log-mel: mel filter ${m} covers no FFT bin; use fewer filters (numMel ${p.numMel}) ` +
          `or a larger fftSize (${n})`,
      );
    }
    let last = bins - 1;
    while (row[last] === 0) last--;
    first = Math.max(0, first);
    return { first, weights: row.slice(first, last + 1) };
  });
  const pad = p.center ? Math.floor(window / 2) : 0;
  const stacked = p.contextMode === "stacked";
  /** Writes the log-mel energies of frame `f` (of all `allFrames`) to dst[base..base+numMel). */
  const frameFeatures = (samples: Float32Array, f: number, dst: Float32Array, base: number) => {
    const start = f * stride - pad;
    for (let i = 0; i < window; i++) {
      const s = start + i;
      frame[i] = s >= 0 && s < samples.length ? samples[s] * hamming[i] : 0;
    }
    frame.fill(0, window);
    fft.realTransform(spectrum, frame);
    for (let k = 0; k < bins; k++) {
      const re = spectrum[2 * k];
      const im = spectrum[2 * k + 1];
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < p.numMel; m++) {
      const { first, weights } = rows[m];
      let e = 0;
      for (let j = 0; j < weights.length; j++) e += weights[j] * power[first + j];
      dst[base + m] = Math.log(e + p.logFloor);
    }
  };
  const all = stacked ? new Float32Array(allFrames * p.numMel) : new Float32Array(0);
  const span = 2 * p.context + 1;
  return (samples, out, offset = 0) => {
    if (samples.length !== p.clipSamples) {
      throw new Error(
        `log-mel: clip has ${samples.length} samples, expected ${p.clipSamples}; pad or crop it first`,
      );
    }
    const dst = out ?? new Float32Array(numFrames * numFeatures);
    if (!stacked) {
      for (let t = 0; t < numFrames; t++) {
        frameFeatures(samples, t + p.context, dst, offset + t * numFeatures);
      }
      return dst;
    }
    for (let f = 0; f < allFrames; f++) frameFeatures(samples, f, all, f * p.numMel);
    for (let t = 0; t < numFrames; t++) {
      // Frames t .. t + 2 context are contiguous in `all`: one copy per step.
      dst.set(
        all.subarray(t * p.numMel, (t + span) * p.numMel),
        offset + t * numFeatures,
      );
    }
    return dst;
  };
}

/**
 * Log-mel features of one clip (builds an extractor each call: use
 * {@link createLogMel} for many clips).
 *
 * @param samples [clipSamples] audio at `sampleRate`
 * @returns [numSteps, numFeatures] (default [81, 20]; [81, 420] stacked), time first
 */
export function logMel(samples: Float32Array, params: Partial<LogMelParams> = {}): Float32Array {
  return createLogMel(params)(samples);
}
