/**
 * Streaming RC-inference: audio (or feature frames) in, the first output spike out as soon as the
 * readout's confidence reaches θ (paper Sec. 3.4: a keyword model answers before the clip ends).
 *
 * A {@link StreamingClassifier} holds an {@link Lstm}'s weights read once into Float32Arrays and
 * steps the model one frame at a time in plain JavaScript: no tfjs op, no tensor, nothing on a
 * backend. The arithmetic is float64 with float32 weights, the state and logits rounded to float32
 * each step, so it agrees with tfjs's float32 (traceBatch on the cpu backend) to rounding.
 *
 * Per step (gate order i, f, g, o; W [F, 4H], U [H, 4H], b [4H]):
 *   x_t = (logmel_t - mean) / std                  (per feature, the train split's statistics)
 *   z = x_t W + b + h U;  c = σ(f) c + σ(i) tanh(g);  h = σ(o) tanh(c)
 *   logits = readout(h)   (ReLU hidden layers, linear output)
 * and the spike test of lib/rc/spike.ts: confidence >= θ. The event comes once: at the first
 * spike, or, when none comes within the clip's `steps` frames, at the last step with
 * `fired: false` (the convention of `firstSpike`). Later input is ignored until `reset()`.
 * @module
 */
import type { LogMelParams } from "../encode/logmel.ts";
import { StreamingLogMel } from "../encode/stream_logmel.ts";
import { decodeWeights, readWeights, type Weights } from "../models/weights.ts";
import type { Lstm } from "../models/lstm.ts";
import { argmaxLabel, confidence as readoutConfidence } from "./readout.ts";
import type { Readout } from "./spike.ts";

/** The answer of one stream: the first spike, or the last step unfired. */
export interface SpikeEvent {
  /** Class index (argmax of the readout at `step`). */
  label: number;
  /** The class's name, when the classifier knows them (`classes`). */
  className?: string;
  /** 0-based step (feature frame after the context crop) of the answer. */
  step: number;
  /** The readout's confidence at `step` (float32). */
  confidence: number;
  /** Whether the confidence reached θ (false: the clip ended without a spike). */
  fired: boolean;
  /** Audio samples received when the answer was known (frame-fed streams: 0). */
  samples: number;
  /** The same as milliseconds of audio (0 for frame-fed streams). */
  audioMs: number;
}

/** The shapes of an LSTM with a readout, as `Lstm.describe()` gives them. */
export interface LstmShape {
  numInputs: number;
  hiddenSize: number;
  readoutHidden: number[];
  numOutputs: number;
}

export interface StreamingOptions {
  /** Spike threshold θ. */
  threshold: number;
  /** The readout (default softmax, the keyword model's). */
  readout?: Readout;
  /** Log-mel parameters of the features the model was trained on (default DEFAULT_LOGMEL). */
  logmel?: Partial<LogMelParams>;
  /** Per-feature standardisation: x = (logmel - mean) / std (default: none). */
  mean?: ArrayLike<number>;
  std?: ArrayLike<number>;
  /** Steps of a clip: no spike by then answers unfired (default: the log-mel clip's frames, 81). */
  steps?: number;
  /** Class names, for `SpikeEvent.className`. */
  classes?: string[];
}

/** The `meta` of a keyword model's weights file (reports/runs/kws-*); a type, so it is a Record. */
export type KwsMeta = {
  kind: "kws";
  dataset: string;
  classes: string[];
  threshold: number;
  logmel: LogMelParams;
  mean: number[];
  std: number[];
};

/** One stream of audio or feature frames through an LSTM keyword model, answering at its first spike. */
export class StreamingClassifier {
  readonly shape: LstmShape;
  readonly threshold: number;
  readonly readout: Readout;
  /** Steps of a clip (see {@link StreamingOptions.steps}). */
  readonly steps: number;
  readonly classes?: string[];
  /** The audio front end (used by `push`). */
  readonly frontEnd: StreamingLogMel;
  readonly #w: Float32Array;
  readonly #u: Float32Array;
  readonly #b: Float32Array;
  readonly #layers: { w: Float32Array; b: Float32Array; inputs: number; outputs: number }[];
  readonly #mean: Float64Array;
  readonly #std: Float64Array | null;
  readonly #x: Float32Array;
  readonly #z: Float64Array;
  readonly #h: Float32Array;
  readonly #c: Float32Array;
  readonly #acts: Float32Array[];
  readonly #sums: Float64Array[];
  #step = 0;
  #event: SpikeEvent | null = null;
  #onFrame: (features: Float32Array) => boolean;

  /**
   * @param shape the model's sizes (`Lstm.describe()`)
   * @param values the model's variables in order: W, U, b, then each readout layer's w and b
   */
  constructor(shape: LstmShape, values: Float32Array[], opts: StreamingOptions) {
    const { numInputs: F, hiddenSize: H, numOutputs: O } = shape;
    const hidden = shape.readoutHidden ?? [];
    const sizes = [H, ...hidden, O];
    const expected = [[F, 4 * H], [H, 4 * H], [4 * H]];
    for (let i = 0; i + 1 < sizes.length; i++) {
      expected.push([sizes[i], sizes[i + 1]], [sizes[i + 1]]);
    }
    if (values.length !== expected.length) {
      throw new Error(
        `StreamingClassifier: ${values.length} weight arrays for an LSTM ${F}-${H}` +
          `${hidden.map((n) => `-${n}`).join("")}-${O}, which has ${expected.length} ` +
          "(W, U, b, then w and b of each readout layer); pass the model's variables in order",
      );
    }
    expected.forEach((s, k) => {
      const size = s.reduce((a, b) => a * b, 1);
      if (values[k].length !== size) {
        throw new Error(
          `StreamingClassifier: weight array ${k} has ${values[k].length} values, the shape ` +
            `[${s}] needs ${size}; the weights are not those of this model shape`,
        );
      }
    });
    if (!(opts.threshold > 0)) {
      throw new Error(
        `StreamingClassifier: threshold must be a number > 0: got ${opts.threshold}`,
      );
    }
    this.shape = { numInputs: F, hiddenSize: H, readoutHidden: hidden, numOutputs: O };
    this.threshold = opts.threshold;
    this.readout = opts.readout ?? "softmax";
    this.classes = opts.classes;
    this.frontEnd = new StreamingLogMel(opts.logmel);
    if (this.frontEnd.frameWidth !== F) {
      throw new Error(
        `StreamingClassifier: the model reads ${F} features per step, the log-mel front end ` +
          `gives ${this.frontEnd.frameWidth} (logmel numMel, contextMode); pass the log-mel ` +
          "parameters the model was trained with",
      );
    }
    this.steps = opts.steps ?? this.frontEnd.framesPerClip;
    [this.#w, this.#u, this.#b] = values;
    this.#layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.#layers.push({
        w: values[3 + 2 * i],
        b: values[4 + 2 * i],
        inputs: sizes[i],
        outputs: sizes[i + 1],
      });
    }
    const stat = (name: string, v: ArrayLike<number> | undefined, fill: number) => {
      if (v === undefined) return new Float64Array(F).fill(fill);
      if (v.length !== F) {
        throw new Error(
          `StreamingClassifier: ${name} has ${v.length} values, the model reads ${F}`,
        );
      }
      return Float64Array.from(v);
    };
    this.#mean = stat("mean", opts.mean, 0);
    this.#std = opts.std === undefined ? null : stat("std", opts.std, 1);
    this.#std?.forEach((s, f) => {
      if (!(s > 0)) {
        throw new Error(`StreamingClassifier: std[${f}] is ${s}; every std must be > 0`);
      }
    });
    this.#x = new Float32Array(F);
    this.#z = new Float64Array(4 * H);
    this.#h = new Float32Array(H);
    this.#c = new Float32Array(H);
    this.#acts = this.#layers.map((l) => new Float32Array(l.outputs));
    this.#sums = this.#layers.map((l) => new Float64Array(l.outputs));
    this.#onFrame = (features) => this.#consume(features) === null;
  }

  /**
   * A classifier for a keyword model's weights file (bytes as read; `source` names it in errors):
   * the LSTM's shape from the header's `model`, θ, log-mel parameters, mean, std and class names
   * from its `meta` (see {@link KwsMeta}); `overrides` replace any of them (e.g. `threshold`).
   */
  static fromWeightsFile(
    bytes: Uint8Array,
    source = "weights",
    overrides: Partial<StreamingOptions> = {},
  ): StreamingClassifier {
    return StreamingClassifier.fromWeights(decodeWeights(bytes, source), source, overrides);
  }

  /** As {@link StreamingClassifier.fromWeightsFile}, from decoded weights. */
  static fromWeights(
    w: Weights,
    source = "weights",
    overrides: Partial<StreamingOptions> = {},
  ): StreamingClassifier {
    const m = w.header.model;
    if (m.model !== "lstm") {
      throw new Error(
        `${source}: header field "model.model" is ${JSON.stringify(m.model)}; streaming runs ` +
          'an LSTM ("lstm") only',
      );
    }
    const shape = {
      numInputs: m.numInputs as number,
      hiddenSize: m.hiddenSize as number,
      readoutHidden: (m.readoutHidden as number[] | undefined) ?? [],
      numOutputs: m.numOutputs as number,
    };
    const meta = w.header.meta as Partial<KwsMeta>;
    const need = <K extends keyof StreamingOptions>(key: K, metaKey: keyof KwsMeta) => {
      const v = overrides[key] ?? meta[metaKey];
      if (v === undefined) {
        throw new Error(
          `${source}: meta field "${metaKey}" is missing (a keyword model saves it: ` +
            "{ kind, dataset, classes, threshold, logmel, mean, std }); save the weights with it " +
            `or pass ${key} explicitly`,
        );
      }
      return v as StreamingOptions[K];
    };
    return new StreamingClassifier(shape, w.values, {
      readout: overrides.readout ?? "softmax",
      threshold: need("threshold", "threshold") as number,
      logmel: need("logmel", "logmel"),
      mean: need("mean", "mean"),
      std: need("std", "std"),
      steps: overrides.steps,
      classes: overrides.classes ?? meta.classes,
    });
  }

  /** A classifier over `model`'s current weights (read once; later training does not reach it). */
  static async fromModel(model: Lstm, opts: StreamingOptions): Promise<StreamingClassifier> {
    // An Lstm has the shape's fields itself (numInputs, hiddenSize, readoutHidden, numOutputs).
    return new StreamingClassifier(model, await readWeights(model.variables), opts);
  }

  /** The answer, once known (first spike, or the clip's last step unfired); else null. */
  get event(): SpikeEvent | null {
    return this.#event;
  }

  /** Steps (frames) consumed since the last reset. */
  get stepsRun(): number {
    return this.#step;
  }

  /**
   * Runs `frames` frames of silence through the front end and the model, then resets: the
   * JavaScript engine compiles the per-step code before the first real frame (the first frames
   * of a cold classifier take milliseconds, warm ones ~0.1 ms).
   */
  warmUp(frames = 200): void {
    const silence = new Float32Array(this.frontEnd.stride);
    this.reset();
    for (let done = 0; done < frames;) {
      if (this.#event) this.reset();
      const before = this.#step;
      this.push(silence);
      done += this.#step - before;
    }
    this.reset();
  }

  /** Zero state, a new audio stream, no answer: the next input starts a new clip. */
  reset(): void {
    this.#h.fill(0);
    this.#c.fill(0);
    this.#step = 0;
    this.#event = null;
    this.frontEnd.reset();
  }

  /**
   * Feeds audio (any number of samples at the log-mel sample rate, e.g. 160 = 10 ms at 16 kHz):
   * every frame they complete is one model step. Returns the answer once known, else null;
   * after the answer, further samples are ignored until `reset()`.
   */
  push(samples: ArrayLike<number>): SpikeEvent | null {
    if (this.#event) return this.#event;
    this.frontEnd.push(samples, this.#onFrame);
    return this.#event;
  }

  /**
   * Ends the clip: pads it with zeros up to the clip length (as the batch features pad a short
   * recording) until the answer is known, and returns it.
   */
  end(): SpikeEvent {
    const zeros = new Float32Array(this.frontEnd.stride);
    while (!this.#event) this.push(zeros);
    return this.#event;
  }

  /**
   * Feeds one step's log-mel features (`[numInputs]`: a frame, or stacked frames, as the batch
   * features hold them; not standardised: the classifier applies mean and std): one model step.
   * Returns the answer once known, else null.
   */
  pushFrame(features: ArrayLike<number>): SpikeEvent | null {
    if (this.#event) return this.#event;
    if (features.length !== this.shape.numInputs) {
      throw new Error(
        `StreamingClassifier.pushFrame: a frame has ${features.length} features, the model ` +
          `reads ${this.shape.numInputs}`,
      );
    }
    return this.#consume(features);
  }

  /** Feeds the model input of one step directly (already standardised). */
  pushInput(x: ArrayLike<number>): SpikeEvent | null {
    if (this.#event) return this.#event;
    for (let f = 0; f < this.#x.length; f++) this.#x[f] = x[f];
    return this.#stepModel();
  }

  #consume(features: ArrayLike<number>): SpikeEvent | null {
    const x = this.#x, mean = this.#mean, std = this.#std;
    for (let f = 0; f < x.length; f++) {
      x[f] = std ? (features[f] - mean[f]) / std[f] : features[f] - mean[f];
    }
    return this.#stepModel();
  }

  /** One LSTM step and readout from `#x`; sets the event at a spike or at the clip's last step. */
  #stepModel(): SpikeEvent | null {
    const { numInputs: F, hiddenSize: H } = this.shape;
    const G = 4 * H;
    const z = this.#z, x = this.#x, h = this.#h, c = this.#c, w = this.#w, u = this.#u;
    for (let j = 0; j < G; j++) z[j] = this.#b[j];
    for (let f = 0; f < F; f++) {
      const v = x[f];
      if (v === 0) continue;
      const row = f * G;
      for (let j = 0; j < G; j++) z[j] += v * w[row + j];
    }
    for (let k = 0; k < H; k++) {
      const v = h[k];
      if (v === 0) continue;
      const row = k * G;
      for (let j = 0; j < G; j++) z[j] += v * u[row + j];
    }
    for (let k = 0; k < H; k++) {
      const i = sigmoid(Math.fround(z[k]));
      const fg = sigmoid(Math.fround(z[H + k]));
      const g = Math.tanh(Math.fround(z[2 * H + k]));
      const o = sigmoid(Math.fround(z[3 * H + k]));
      c[k] = fg * c[k] + i * g;
      h[k] = o * Math.tanh(c[k]);
    }
    let a: Float32Array = h;
    const last = this.#layers.length - 1;
    this.#layers.forEach((l, n) => {
      const out = this.#acts[n], sum = this.#sums[n];
      const width = l.outputs;
      for (let j = 0; j < width; j++) sum[j] = l.b[j];
      for (let k = 0; k < l.inputs; k++) {
        const v = a[k];
        if (v === 0) continue;
        const row = k * width;
        for (let j = 0; j < width; j++) sum[j] += v * l.w[row + j];
      }
      for (let j = 0; j < width; j++) out[j] = n < last && sum[j] < 0 ? 0 : sum[j];
      a = out;
    });
    const step = this.#step++;
    const O = this.shape.numOutputs;
    const conf = Math.fround(readoutConfidence(a, 0, O, this.readout));
    if (conf >= this.threshold || this.#step >= this.steps) {
      const label = argmaxLabel(a, 0, O, this.readout);
      const samples = this.frontEnd.samplesReceived;
      this.#event = {
        label,
        ...(this.classes ? { className: this.classes[label] } : {}),
        step,
        confidence: conf,
        fired: conf >= this.threshold,
        samples,
        audioMs: (1000 * samples) / this.frontEnd.params.sampleRate,
      };
    }
    return this.#event;
  }
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
