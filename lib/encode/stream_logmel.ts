/**
 * Log-mel features of a live audio stream, frame by frame: the frames `createLogMel` computes for
 * a whole clip, each emitted as soon as the last sample of its window has arrived.
 *
 * Framing as in lib/encode/logmel.ts: frame k (k = 0, 1, ...) covers samples
 * `k * stride - pad ... k * stride - pad + window - 1` (pad = half a window when `center`, else
 * 0), samples before the first being zeros; the first `context` frames are dropped, so the first
 * frame emitted is the clip's frame 0 (k = context). For a 1 s clip at the defaults (16 kHz,
 * 25 ms window, 10 ms stride, context 10) frame j is emitted once `160 (j + 10) + 200` samples
 * have arrived: the first after 1,800 samples (112.5 ms), then one every 160 (10 ms).
 *
 * With `contextMode: "stacked"` (lib/encode/logmel.ts), step t is frames t .. t + 2 context of the
 * uncropped sequence side by side ([(2 context + 1) numMel]): it is emitted once frame
 * t + 2 context is complete, after `160 (t + 20) + 200` samples at the defaults (3,400 for the
 * first, 100 ms later than a recurrent-mode frame), and frames past the clip's end need the zeros
 * that pad it (feed them, as `StreamingClassifier.end()` does).
 *
 * Each frame is computed by `createLogMel` itself, set up for one uncentred window
 * (`clipSamples = window`, `context = 0`, `center = false`): the same window, FFT, filterbank
 * and float64 arithmetic, so a streamed frame equals the batch frame bit for bit.
 * @module
 */
import { createLogMel, DEFAULT_LOGMEL, frameLayout, type LogMelParams } from "./logmel.ts";

/** Streaming log-mel front end; see the module comment for the framing. */
export class StreamingLogMel {
  readonly params: LogMelParams;
  /** Samples per window and between frames. */
  readonly window: number;
  readonly stride: number;
  /** Steps a whole clip gives after the context crop (81 at the defaults). */
  readonly framesPerClip: number;
  /** Features per emitted step: numMel, or (2 context + 1) numMel when stacked. */
  readonly frameWidth: number;
  /** Whether steps are stacked frames (`contextMode: "stacked"`). */
  readonly stacked: boolean;
  readonly #pad: number;
  readonly #ring: Float32Array;
  readonly #mask: number;
  readonly #scratch: Float32Array;
  readonly #extract: (samples: Float32Array, out?: Float32Array, offset?: number) => Float32Array;
  /** The last 2 context + 1 frames (stacked), slot k mod (2 context + 1); else one frame. */
  readonly #frames: Float32Array;
  readonly #out: Float32Array;
  #received = 0;
  /** Steps emitted, the uncropped index of the next frame, and the samples that completes it. */
  #next = 0;
  #k = 0;
  #nextEnd = 0;

  constructor(params: Partial<LogMelParams> = {}) {
    this.params = { ...DEFAULT_LOGMEL, ...params };
    const { window, stride, numFrames } = frameLayout(this.params);
    this.window = window;
    this.stride = stride;
    this.framesPerClip = numFrames;
    this.#pad = this.params.center ? Math.floor(window / 2) : 0;
    const size = 2 ** Math.ceil(Math.log2(window));
    this.#ring = new Float32Array(size);
    this.#mask = size - 1;
    this.#scratch = new Float32Array(window);
    this.#extract = createLogMel({
      ...this.params,
      clipSamples: window,
      context: 0,
      center: false,
    });
    this.stacked = (this.params as { contextMode?: string }).contextMode === "stacked";
    const span = this.stacked ? 2 * this.params.context + 1 : 1;
    this.frameWidth = span * this.params.numMel;
    this.#frames = new Float32Array(span * this.params.numMel);
    this.#out = new Float32Array(this.frameWidth);
    this.reset();
  }

  /** Samples received since the last reset. */
  get samplesReceived(): number {
    return this.#received;
  }

  /** Steps emitted since the last reset (the index of the next one). */
  get framesEmitted(): number {
    return this.#next;
  }

  /** Samples (since the reset) the next frame waits for: it is computed when this many arrived. */
  get nextFrameAt(): number {
    return this.#nextEnd;
  }

  /** Starts a new stream: sample 0 of the next `push` is the clip's sample 0. */
  reset(): void {
    this.#received = 0;
    this.#next = 0;
    this.#k = this.stacked ? 0 : this.params.context;
    this.#nextEnd = this.#frameEnd(this.#k);
    this.#ring.fill(0);
  }

  /**
   * Appends `samples` (any length, float32 audio at `params.sampleRate`) and calls `onFrame` for
   * every step completed by them, in order: `features` ([frameWidth], reused: copy it to keep it)
   * and the step's index. `onFrame` returning `false` stops there (the samples after the step's
   * last one are not consumed); returns how many of `samples` were consumed.
   */
  push(
    samples: ArrayLike<number>,
    onFrame: (features: Float32Array, index: number) => boolean | void,
  ): number {
    const ring = this.#ring, mask = this.#mask;
    let i = 0;
    while (i < samples.length) {
      // Copy up to the end of the next frame's window, then emit it.
      const upto = Math.min(samples.length, i + (this.#nextEnd - this.#received));
      for (; i < upto; i++) ring[this.#received++ & mask] = samples[i];
      if (this.#received === this.#nextEnd) {
        const features = this.#compute();
        this.#nextEnd = this.#frameEnd(this.#k);
        if (features && onFrame(features, this.#next++) === false) return i;
      }
    }
    return i;
  }

  /** Samples needed (since the reset) to complete frame `k` (uncropped index). */
  #frameEnd(k: number): number {
    return Math.max(0, k * this.stride - this.#pad + this.window);
  }

  /** Computes frame `#k` (its window ends at the newest sample); the step it completes, if any. */
  #compute(): Float32Array | null {
    const start = this.#received - this.window;
    for (let i = 0; i < this.window; i++) {
      const s = start + i;
      this.#scratch[i] = s >= 0 ? this.#ring[s & this.#mask] : 0;
    }
    const k = this.#k++;
    const M = this.params.numMel;
    if (!this.stacked) return this.#extract(this.#scratch, this.#frames, 0);
    const span = 2 * this.params.context + 1;
    this.#extract(this.#scratch, this.#frames, (k % span) * M);
    if (k < span - 1) return null;
    // Step t = k - 2 context: frames t .. k in order.
    const t = k - (span - 1);
    for (let j = 0; j < span; j++) {
      const slot = ((t + j) % span) * M;
      this.#out.set(this.#frames.subarray(slot, slot + M), j * M);
    }
    return this.#out;
  }
}
