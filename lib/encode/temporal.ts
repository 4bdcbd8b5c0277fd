/**
 * Temporal (time-to-first-spike) coding of images (paper Sec. 3.3): every pixel
 * spikes exactly once within `numSteps` steps, more intense pixels earlier.
 *
 * In MNIST a pixel value of 0 is background and 255 is full ink (the paper's
 * "darker pixels spike earlier" refers to the ink drawn dark on white), so high
 * values spike first.
 *
 * The rule, for a pixel value v in 0..255 and T = numSteps:
 *
 *     step(v) = min(T - 1, floor((255 - v) * T / 255))
 *
 * i.e. the intensity range is cut into T equal bins of width 25.5 (for T = 10),
 * the brightest bin spiking at step 0. Integer arithmetic, so no rounding ties.
 * For T = 10: v = 255..230 -> 0, 229..205 -> 1, ..., 127 -> 5, 128 -> 4,
 * and every near-black pixel v = 0..25 (including background, v = 0) -> 9, the last step.
 *
 * @module
 */

/** Pixels per MNIST image (28 x 28). */
export const PIXELS = 784;

/**
 * The step at which each pixel spikes.
 *
 * @param images pixel intensities 0-255, any shape (typically [N, 784])
 * @param numSteps T >= 1 (paper: 10)
 * @returns same length as `images`, values in 0..T-1
 */
export function spikeSteps(images: Uint8Array, numSteps: number): Uint8Array {
  checkSteps(numSteps);
  const table = stepTable(numSteps);
  const out = new Uint8Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = table[images[i]];
  return out;
}

/**
 * Encodes a batch as binary spike frames, time first.
 *
 * @param images [N, 784] pixel intensities 0-255
 * @param indices B image indices into `images`
 * @param numSteps T
 * @returns [T, B, 784]: element `(t * B + b) * 784 + p` is 1 when pixel p of image
 *   `indices[b]` spikes at step t, else 0. Each (b, p) has exactly one 1 over t.
 */
export function encodeBatch(
  images: Uint8Array,
  indices: ArrayLike<number>,
  numSteps: number,
): Float32Array {
  checkSteps(numSteps);
  if (images.length % PIXELS !== 0) {
    throw new Error(
      `encodeBatch: images has ${images.length} bytes, not a multiple of ${PIXELS} (28 x 28)`,
    );
  }
  const n = images.length / PIXELS;
  const table = stepTable(numSteps);
  const batch = indices.length;
  const out = new Float32Array(numSteps * batch * PIXELS);
  for (let b = 0; b < batch; b++) {
    const idx = indices[b];
    if (!Number.isInteger(idx) || idx < 0 || idx >= n) {
      throw new Error(`encodeBatch: indices[${b}] = ${idx} is not an image index in 0..${n - 1}`);
    }
    const src = idx * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      const t = table[images[src + p]];
      out[(t * batch + b) * PIXELS + p] = 1;
    }
  }
  return out;
}

function checkSteps(numSteps: number): void {
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > 256) {
    throw new Error(`numSteps must be an integer in 1..256: current value is ${numSteps}`);
  }
}

function stepTable(numSteps: number): Uint8Array {
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    table[v] = Math.min(numSteps - 1, Math.floor(((255 - v) * numSteps) / 255));
  }
  return table;
}
