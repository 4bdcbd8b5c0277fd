import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import { readClipAudio } from "../../lib/encode/clip_features.ts";
import { createLogMel, DEFAULT_LOGMEL } from "../../lib/encode/logmel.ts";
import { saveWeights } from "../../lib/models/weights.ts";
import { testTraces } from "../../lib/rc/measure.ts";
import { firstSpike } from "../../lib/rc/spike.ts";
import { type SpikeEvent, StreamingClassifier } from "../../lib/rc/stream.ts";
import { useCpu } from "../_backend.ts";
import { keywordModel, kwsMeta } from "./_stream.ts";
import { SHARED_DATA } from "../_shared.ts";

const SHARED = `${SHARED_DATA}`;
/** Two FSDD recordings (8 kHz, short: zero-padded to 1 s) and two Speech Commands clips. */
const CLIPS = [
  "fsdd/recordings/4_nicolas_20.wav",
  "fsdd/recordings/7_jackson_3.wav",
  "speech_commands_v0.01_sample/right/51055bda_nohash_4.wav",
  "speech_commands_v0.01_sample/right/563aa4e6_nohash_2.wav",
];
const ignore = (() => {
  try {
    CLIPS.forEach((c) => Deno.statSync(`${SHARED}/${c}`));
    return false;
  } catch {
    console.error(`stream tests skipped: the recordings are not in ${SHARED}`);
    return true;
  }
})();

const T = 81, F = 20;

/** The clips' audio and features, their per-feature mean and std, and the standardised batch. */
async function fixture() {
  const extract = createLogMel();
  const audio = await Promise.all(
    CLIPS.map((c) => readClipAudio(`${SHARED}/${c}`, DEFAULT_LOGMEL)),
  );
  const feats = audio.map((a) => extract(a));
  const mean = new Float64Array(F), sq = new Float64Array(F);
  for (const x of feats) {
    for (let i = 0; i < x.length; i++) (mean[i % F] += x[i]), (sq[i % F] += x[i] * x[i]);
  }
  const n = feats.length * T;
  const std = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    mean[f] /= n;
    std[f] = Math.sqrt(sq[f] / n - mean[f] * mean[f]);
  }
  const B = feats.length;
  const x = new Float32Array(T * B * F);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let f = 0; f < F; f++) x[(t * B + b) * F + f] = (feats[b][t * F + f] - mean[f]) / std[f];
    }
  }
  const batch: SequenceBatch = {
    x,
    y: new Int32Array(B),
    numSteps: T,
    batchSize: B,
    numFeatures: F,
  };
  return { audio, feats, mean: Array.from(mean), std: Array.from(std), batch };
}

/** Feeds `audio` in chunks cycling through `sizes` until the answer, then ends the clip. */
function streamAudio(c: StreamingClassifier, audio: Float32Array, sizes: number[]): SpikeEvent {
  c.reset();
  let k = 0;
  for (let i = 0; i < audio.length && !c.event;) {
    const n = sizes[k++ % sizes.length];
    c.push(audio.subarray(i, i + n));
    i += n;
  }
  return c.end();
}

/**
 * A threshold that makes example `b` spike mid-clip: between the running maximum before the first
 * new record after step 20 and that record (so float32 rounding cannot move the step).
 */
function midClipThreshold(conf: Float32Array, B: number, b: number): number | null {
  let best = -Infinity;
  for (let t = 0; t < T; t++) {
    const c = conf[t * B + b];
    if (t >= 20 && t <= 60 && c > best + 1e-4) return (best + c) / 2;
    best = Math.max(best, c);
  }
  return null;
}

Deno.test({
  name: "streaming classifier: same spike step, label and confidence as batch RC-inference",
  ignore,
  fn: async () => {
    await useCpu();
    const { audio, mean, std, batch } = await fixture();
    const model = keywordModel(7);
    try {
      const before = tf.memory().numTensors;
      const traces = await testTraces(model, batch, "softmax");
      const B = batch.batchSize;
      const column = (b: number) =>
        Float32Array.from({ length: T }, (_, t) => traces.confidence[t * B + b]);
      let checked = 0;
      for (let b = 0; b < B; b++) {
        const threshold = midClipThreshold(traces.confidence, B, b);
        if (threshold === null) continue;
        const spike = firstSpike(column(b), threshold);
        assert.ok(spike.fired && spike.step >= 20 && spike.step <= 60);
        const c = await StreamingClassifier.fromModel(model, {
          threshold,
          mean,
          std,
          classes: [..."0123456789"],
        });
        for (const sizes of [[160], [1, 999, 37], [16000]]) {
          const e = streamAudio(c, audio[b], sizes);
          assert.equal(e.step, spike.step, `${CLIPS[b]} chunks ${sizes}`);
          assert.equal(e.fired, true);
          assert.equal(e.label, traces.label[spike.step * B + b]);
          assert.equal(e.className, String(e.label));
          assert.ok(Math.abs(e.confidence - traces.confidence[spike.step * B + b]) <= 1e-5);
          // The answer comes with the frame: its window's last sample, 1,800 + 160 step.
          assert.equal(e.samples, 1800 + 160 * e.step);
          assert.equal(e.audioMs, e.samples / 16);
        }
        checked++;
      }
      assert.equal(checked, B, "every clip has a mid-clip spike to test");
      assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    } finally {
      model.variables.forEach((v) => v.dispose());
    }
  },
});

Deno.test({
  name: "streaming classifier: no crossing answers at the last step, unfired; frames = audio",
  ignore,
  fn: async () => {
    await useCpu();
    const { audio, feats, mean, std, batch } = await fixture();
    const model = keywordModel(6);
    try {
      const traces = await testTraces(model, batch, "softmax");
      const B = batch.batchSize;
      const c = await StreamingClassifier.fromModel(model, { threshold: 0.999, mean, std });
      for (let b = 0; b < B; b++) {
        const spike = firstSpike(
          Float32Array.from({ length: T }, (_, t) => traces.confidence[t * B + b]),
          0.999,
        );
        assert.deepEqual(spike, { step: T - 1, fired: false });
        const e = streamAudio(c, audio[b], [333]);
        assert.equal(e.step, T - 1);
        assert.equal(e.fired, false);
        assert.equal(e.label, traces.label[(T - 1) * B + b]);
        assert.ok(Math.abs(e.confidence - traces.confidence[(T - 1) * B + b]) <= 1e-5);
        assert.equal(c.stepsRun, T);
        // Frame by frame: the same answer; later input is ignored until reset.
        c.reset();
        let event: SpikeEvent | null = null;
        for (let t = 0; t < T; t++) {
          assert.equal(event, null);
          event = c.pushFrame(feats[b].subarray(t * F, (t + 1) * F));
        }
        assert.deepEqual({ ...event, samples: e.samples, audioMs: e.audioMs }, e);
        assert.equal(event!.samples, 0);
        assert.equal(c.pushFrame(feats[b].subarray(0, F)), event);
        assert.equal(c.stepsRun, T);
      }
    } finally {
      model.variables.forEach((v) => v.dispose());
    }
  },
});

Deno.test({
  name: "streaming classifier: from a weights file with keyword meta; missing meta is named",
  ignore,
  fn: async () => {
    await useCpu();
    const { audio, mean, std } = await fixture();
    const model = keywordModel(7);
    const dir = await Deno.makeTempDir();
    try {
      const meta = kwsMeta(0.15, mean, std);
      await saveWeights(`${dir}/w.bin`, model, meta);
      const bytes = await Deno.readFile(`${dir}/w.bin`);
      const fromFile = StreamingClassifier.fromWeightsFile(bytes, "w.bin");
      const direct = await StreamingClassifier.fromModel(model, { ...meta });
      assert.equal(fromFile.threshold, 0.15);
      assert.deepEqual(
        streamAudio(fromFile, audio[0], [160]),
        streamAudio(direct, audio[0], [160]),
      );
      const other = StreamingClassifier.fromWeightsFile(bytes, "w.bin", { threshold: 0.5 });
      assert.equal(other.threshold, 0.5);

      await saveWeights(`${dir}/bare.bin`, model, { kind: "kws" });
      assert.throws(
        () => StreamingClassifier.fromWeightsFile(Deno.readFileSync(`${dir}/bare.bin`), "bare.bin"),
        /bare\.bin: meta field "threshold" is missing/,
      );
      assert.throws(
        () => StreamingClassifier.fromWeightsFile(bytes, "w.bin", { logmel: { numMel: 40 } }),
        /reads 20 features per step, the log-mel front end gives 40/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
      model.variables.forEach((v) => v.dispose());
    }
  },
});

Deno.test("streaming classifier: hand-computed step of a 1-1-2 LSTM", () => {
  // W = [w_i w_f w_g w_o] = [1, 0, 2, 0.5], U = 0, b = 0; readout w = [[1, -1]], b = [0, 0].
  // x = 1: i = σ(1), f = σ(0), g = tanh(2), o = σ(0.5); c = σ(1) tanh(2); h = σ(0.5) tanh(c).
  // logits (h, -h): softmax confidence σ(2h), label 0.
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const c1 = sig(1) * Math.tanh(2);
  const h1 = sig(0.5) * Math.tanh(c1);
  const weights = [
    Float32Array.from([1, 0, 2, 0.5]),
    new Float32Array(4),
    new Float32Array(4),
    Float32Array.from([1, -1]),
    new Float32Array(2),
  ];
  const shape = { numInputs: 1, hiddenSize: 1, readoutHidden: [], numOutputs: 2 };
  const c = new StreamingClassifier(shape, weights, {
    threshold: 0.99,
    logmel: { numMel: 1, fMax: 300 },
    steps: 2,
  });
  assert.equal(c.pushInput([1]), null);
  const e = c.pushInput([0]);
  // Step 2 with x = 0: z = h1 U + b = 0: i = f = o = 0.5, g = 0; c2 = c1 / 2; h2 = tanh(c2) / 2.
  const h2 = Math.tanh(c1 / 2) / 2;
  assert.ok(e && !e.fired && e.step === 1 && e.label === 0);
  assert.ok(Math.abs(e.confidence - sig(2 * h2)) < 1e-6, `${e.confidence} vs ${sig(2 * h2)}`);
  // At θ = σ(2 h1) exactly (float32), step 0 is a spike: equality counts, as in firstSpike.
  const low = new StreamingClassifier(shape, weights, {
    threshold: Math.fround(sig(2 * h1)),
    logmel: { numMel: 1, fMax: 300 },
  });
  const first = low.pushInput([1]);
  assert.ok(first && first.fired && first.step === 0 && first.label === 0);
  assert.ok(Math.abs(first.confidence - sig(2 * h1)) < 1e-6);
  assert.throws(
    () => new StreamingClassifier(shape, weights.slice(0, 4), { threshold: 0.5 }),
    /4 weight arrays for an LSTM 1-1-2, which has 5/,
  );
});

Deno.test("streaming classifier: warmUp leaves a fresh stream (also when silence spikes)", () => {
  const weights = [
    Float32Array.from([1, 0, 2, 0.5]),
    new Float32Array(4),
    new Float32Array(4),
    Float32Array.from([1, -1]),
    new Float32Array(2),
  ];
  const shape = { numInputs: 1, hiddenSize: 1, readoutHidden: [], numOutputs: 2 };
  // θ = 0.5: every step spikes (a 2-class softmax is never below 0.5).
  const c = new StreamingClassifier(shape, weights, {
    threshold: 0.5,
    logmel: { numMel: 1, fMax: 300 },
  });
  c.warmUp(50);
  assert.equal(c.event, null);
  assert.equal(c.stepsRun, 0);
  assert.equal(c.frontEnd.samplesReceived, 0);
  assert.equal(c.push(new Float32Array(1799)), null, "frame 0 needs 1,800 samples");
  const e = c.push(new Float32Array(1));
  assert.ok(e && e.fired && e.step === 0 && e.samples === 1800);
});
