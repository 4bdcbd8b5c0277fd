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
}

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
 * @returns a function from [clipSamples] audio to [numFrames, numMel] features,
 *   row-major (time first), written into `out` at `offset` when given
 */
export function createLogMel(
  params: Partial<LogMelParams> = {},
): (samples: Float32Array, out?: Float32Array, offset?: number) => Float32Array {
  const p = { ...DEFAULT_LOGMEL, ...params };
  const { window, stride, numFrames } = frameLayout(p);
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
  const frameSize = p.numMel;
  return (samples, out, offset = 0) => {
    if (samples.length !== p.clipSamples) {
      throw new Error(
        `log-mel: clip has ${samples.length} samples, expected ${p.clipSamples}; pad or crop it first`,
      );
    }
    const dst = out ?? new Float32Array(numFrames * frameSize);
    for (let t = 0; t < numFrames; t++) {
      const start = (t + p.context) * stride - pad;
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
      const base = offset + t * frameSize;
      for (let m = 0; m < p.numMel; m++) {
        const { first, weights } = rows[m];
        let e = 0;
        for (let j = 0; j < weights.length; j++) e += weights[j] * power[first + j];
        dst[base + m] = Math.log(e + p.logFloor);
      }
    }
    return dst;
  };
}

/**
 * Log-mel features of one clip (builds an extractor each call: use
 * {@link createLogMel} for many clips).
 *
 * @param samples [clipSamples] audio at `sampleRate`
 * @returns [numFrames, numMel] (default [81, 20]), time first
 */
export function logMel(samples: Float32Array, params: Partial<LogMelParams> = {}): Float32Array {
  return createLogMel(params)(samples);
}
