/**
 * Fig. 8: h and c against a float64 LSTM on the same weights; the figure's cutoff is the RC first
 * spike of the clip found independently (the ordinary inference path, then firstSpike), the
 * panels continue past it ("what if"); the run's errors name the file and the fix.
 */
// The accelerated paths, as every task and mod.ts registers them.
import "../../lib/accel/register.ts";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { kwsMeta, pickClip, runHidden, traceClip } from "../../lib/experiments/_hidden_run.ts";
import { HIDDEN_DYNAMICS, hiddenConfig } from "../../lib/experiments/hidden_dynamics.ts";
import type { FeatureSet } from "../../lib/encode/features.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { writeVariables } from "../../lib/models/model.ts";
import { readWeights, saveWeights } from "../../lib/models/weights.ts";
import { Rng } from "../../lib/random.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import { firstSpike } from "../../lib/rc/spike.ts";
import { runProblem } from "../../lib/results.ts";
import { useCpu } from "../_backend.ts";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** A float64 LSTM step by step from the definition (gate order i, f, g, o), h, c and softmax. */
function reference(w: Float32Array[], F: number, H: number, sizes: number[], x: Float32Array) {
  const [W, U, b] = w;
  const T = x.length / F;
  let h = new Float64Array(H), c = new Float64Array(H);
  const out = { h: [] as Float64Array[], c: [] as Float64Array[], p: [] as Float64Array[] };
  for (let t = 0; t < T; t++) {
    const z = new Float64Array(4 * H);
    for (let j = 0; j < 4 * H; j++) {
      let s = b[j];
      for (let f = 0; f < F; f++) s += x[t * F + f] * W[f * 4 * H + j];
      for (let k = 0; k < H; k++) s += h[k] * U[k * 4 * H + j];
      z[j] = s;
    }
    const hn = new Float64Array(H), cn = new Float64Array(H);
    for (let k = 0; k < H; k++) {
      cn[k] = sigmoid(z[H + k]) * c[k] + sigmoid(z[k]) * Math.tanh(z[2 * H + k]);
      hn[k] = sigmoid(z[3 * H + k]) * Math.tanh(cn[k]);
    }
    h = hn, c = cn;
    let a: Float64Array = h;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const lw = w[3 + 2 * l], lb = w[4 + 2 * l];
      const next = new Float64Array(sizes[l + 1]);
      for (let j = 0; j < sizes[l + 1]; j++) {
        let s = lb[j];
        for (let k = 0; k < sizes[l]; k++) s += a[k] * lw[k * sizes[l + 1] + j];
        next[j] = l + 2 < sizes.length ? Math.max(0, s) : s;
      }
      a = next;
    }
    const m = Math.max(...a), e = a.map((v) => Math.exp(v - m)), sum = e.reduce((s, v) => s + v);
    out.h.push(h), out.c.push(c), out.p.push(e.map((v) => v / sum));
  }
  return out;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};

Deno.test("traceClip: h, c and the softmax match a float64 LSTM on the same weights", async () => {
  await useCpu();
  const F = 3, H = 5, O = 3, T = 6;
  const model = new Lstm({
    numInputs: F,
    hiddenSize: H,
    readoutHidden: [4],
    numOutputs: O,
    fusedCell: false,
    seed: 11,
  });
  const rng = new Rng(5);
  const x = Float32Array.from({ length: T * F }, () => rng.normal());
  const before = tf.memory().numTensors;
  const trace = await traceClip(model, x, T);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  const ref = reference(await readWeights(model.variables), F, H, [H, 4, O], x);
  for (let t = 0; t < T; t++) {
    close(trace.h[t], ref.h[t], 1e-5, `h at step ${t}`);
    close(trace.c[t], ref.c[t], 1e-5, `c at step ${t}`);
    close(trace.probs[t], ref.p[t], 1e-5, `softmax at step ${t}`);
    assert.equal(trace.confidence[t], Math.max(...trace.probs[t]));
  }
  // The cell state is not h: a test that read the same tensor twice would fail here.
  assert.ok(trace.c.some((c, t) => Math.abs(c[0] - trace.h[t][0]) > 1e-3));
  tf.dispose(model.variables);
  const fused = new Lstm({ numInputs: F, hiddenSize: H, numOutputs: O, seed: 1 });
  await assert.rejects(() => traceClip(fused, x, T), /fusedCell: false/);
  tf.dispose(fused.variables);
});

Deno.test("Fig. 8: the cutoff is the clip's RC first spike, found independently; the panels go on past it", async () => {
  await useCpu();
  const F = 4, H = 6, O = 3, T = 12;
  const classes = ["a", "b", "c"];
  const dir = await Deno.makeTempDir({ prefix: "rc-fig8-" });
  try {
    // A model with a decisive readout (last layer scaled up), the weights of a keyword run.
    const model = new Lstm({
      numInputs: F,
      hiddenSize: H,
      readoutHidden: [5],
      numOutputs: O,
      seed: 3,
    });
    const w = await readWeights(model.variables);
    w[5] = w[5].map((v) => 8 * v);
    writeVariables(model.variables, w);
    const rng = new Rng(9);
    const raw = Float32Array.from({ length: 2 * T * F }, () => rng.normal());
    const mean = [0.1, -0.2, 0.3, 0], std = [1, 2, 0.5, 1];
    // The clip (index 1) standardised as the run does it, through the ordinary inference path.
    const clip = new Float32Array(T * F);
    for (let t = 0; t < T; t++) {
      for (let f = 0; f < F; f++) clip[t * F + f] = (raw[(T + t) * F + f] - mean[f]) / std[f];
    }
    const { traces } = await traceBatch(model, {
      x: clip,
      y: new Int32Array([2]),
      numSteps: T,
      batchSize: 1,
      numFeatures: F,
    }, { readout: "softmax" });
    // θ just under the largest confidence of steps 2..T-3: the spike falls inside the clip.
    const window = Array.from(traces.confidence.subarray(2, T - 2));
    const theta = Math.max(...window) - 1e-4;
    assert.ok(Array.from(traces.confidence).every((c) => Math.abs(c - theta) > 1e-5));
    const expected = firstSpike(traces.confidence, theta);
    assert.ok(expected.fired && expected.step < T - 2, `spike at ${expected.step}`);
    await Deno.mkdir(`${dir}/runs/kws-fsdd`, { recursive: true });
    await saveWeights(`${dir}/runs/kws-fsdd/rc-b0.2@smoke.weights.bin`, model, {
      kind: "kws",
      dataset: "fsdd",
      classes,
      threshold: theta,
      logmel: { contextMode: "recurrent" },
      mean,
      std,
      epoch: 3,
    });
    tf.dispose(model.variables);
    const split = {
      x: raw,
      y: new Int32Array([0, 2]),
      count: 2,
      numSteps: T,
      numFeatures: F,
      classes,
    };
    const data = { test: split, checksum: "fake" } as unknown as FeatureSet;
    const config = { ...hiddenConfig("smoke"), clip: 1 };
    const ctx = {
      profile: "smoke" as const,
      configHash: "0123456789abcdef",
      run: "fig8@smoke",
      finished: [],
      log: () => {},
      workDir: `${dir}/runs/hidden-dynamics`,
    };
    const before = tf.memory().numTensors;
    const record = await runHidden(HIDDEN_DYNAMICS, config, ctx, () => Promise.resolve(data));
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    assert.equal(runProblem(JSON.parse(JSON.stringify(record))), null);
    assert.equal(record.figures.length, 4);
    for (const f of record.figures) {
      assert.equal(f.kind, "heatmap");
      assert.equal(f.cutoff, expected.step, f.title);
      // The "what if" part: every step to the end is there, greyed by the chart past the cutoff.
      assert.ok(f.z!.every((row) => row.length === T), f.title);
    }
    const [input, h, c, out] = record.figures;
    assert.equal(input.z!.length, F);
    assert.equal(h.z!.length, H);
    assert.equal(c.z!.length, H);
    assert.deepEqual(out.rowLabels, classes);
    // The output panel is the softmax: its columns sum to 1, its max at the spike is ≥ θ.
    for (let t = 0; t < T; t++) {
      assert.ok(Math.abs(out.z!.reduce((s, row) => s + row[t]!, 0) - 1) < 1e-5);
    }
    assert.ok(Math.max(...out.z!.map((row) => row[expected.step]!)) >= theta);
    // Rows of h ordered by the step of their largest |h| up to the spike.
    const peaks = h.z!.map((row) => {
      const upTo = row.slice(0, expected.step + 1).map((v) => Math.abs(v!));
      return upTo.indexOf(Math.max(...upTo));
    });
    assert.deepEqual(peaks, [...peaks].sort((a, b) => a - b));
    assert.equal(record.metrics.meanSpikeTime, expected.step + 1);
    assert.equal(record.metrics.threshold, theta);
    assert.equal(record.metrics.extra.spikeStep, expected.step + 1);
    assert.equal(record.metrics.extra.predictedIndex, traces.label[expected.step]);
    assert.equal(record.metrics.testAccuracy, traces.label[expected.step] === 2 ? 1 : 0);
    assert.deepEqual(record.target.checks.map((k) => k.measured), [record.metrics.testAccuracy]);
    // The default clip (-1): the first test clip that spikes before its end, found here by the
    // ordinary inference path over both clips.
    const both = new Float32Array(T * 2 * F);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < 2; b++) {
        for (let f = 0; f < F; f++) {
          both[(t * 2 + b) * F + f] = (raw[(b * T + t) * F + f] - mean[f]) / std[f];
        }
      }
    }
    const reread = new Lstm({
      numInputs: F,
      hiddenSize: H,
      readoutHidden: [5],
      numOutputs: O,
      seed: 3,
    });
    writeVariables(reread.variables, w);
    const twoClips = (await traceBatch(reread, {
      x: both,
      y: new Int32Array([0, 2]),
      numSteps: T,
      batchSize: 2,
      numFeatures: F,
    }, { readout: "softmax" })).traces;
    tf.dispose(reread.variables);
    const first = [0, 1].map((b) => {
      const s = firstSpike(
        Array.from({ length: T }, (_, t) => twoClips.confidence[t * 2 + b]),
        theta,
      );
      return s.fired && s.step < T - 1;
    });
    assert.ok(first[1], "clip 1 spikes");
    const auto = await runHidden(
      HIDDEN_DYNAMICS,
      { ...config, clip: -1 },
      ctx,
      () => Promise.resolve(data),
    );
    assert.equal(auto.metrics.extra.clip, first.indexOf(true));
    assert.equal(auto.metrics.extra.spikingTestClips, first.filter(Boolean).length / 2);
    assert.match(auto.data.note!, /the first test clip with a first spike before its end/);
    // A missing weights file: the error names it and the command that makes it.
    await assert.rejects(
      () =>
        runHidden(
          HIDDEN_DYNAMICS,
          { ...config, weights: "rc-b0.3@smoke" },
          ctx,
          () => Promise.resolve(data),
        ),
      (e: Error) => {
        assert.match(e.message, /no weights file .*\/runs\/kws-fsdd\/rc-b0\.3@smoke\.weights\.bin/);
        assert.match(e.message, /`deno task reproduce --only kws-fsdd --profile smoke --out /);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the clip: by index or by word; bad ones and bad meta say what is expected", () => {
  const labels = new Int32Array([3, 1, 1, 0]);
  const classes = ["zero", "one", "two", "three"];
  const config = hiddenConfig("default");
  assert.equal(config.weights, "rc-b0.2");
  assert.equal(hiddenConfig("smoke").weights, "rc-b0.2@smoke");
  assert.equal(pickClip({ ...config, clip: 2 }, labels, classes), 2);
  assert.equal(pickClip({ ...config, word: "One" }, labels, classes), 1);
  assert.throws(
    () => pickClip({ ...config, word: "on" }, labels, classes),
    /classes are zero, one/,
  );
  assert.throws(() => pickClip({ ...config, word: "two" }, labels, classes), /no clip of "two"/);
  assert.throws(() => pickClip({ ...config, clip: 4 }, labels, classes), /0 <= N < 4/);
  assert.throws(() => pickClip({ ...config, clip: -2 }, labels, classes), /0 <= N < 4/);
  // -1: the first clip with a spike, or clip 0 when none spikes; a word still wins.
  assert.equal(config.clip, -1);
  assert.equal(pickClip(config, labels, classes, 2), 2);
  assert.equal(pickClip(config, labels, classes, -1), 0);
  assert.equal(pickClip({ ...config, word: "three" }, labels, classes, 2), 0);
  const header = {
    format: "rc-weights/1" as const,
    model: { model: "lstm", numInputs: 2 },
    variables: [],
    meta: {
      kind: "kws",
      dataset: "fsdd",
      classes,
      threshold: 0.95,
      logmel: {},
      mean: [0],
      std: [1, 1],
    },
  };
  assert.throws(
    () => kwsMeta({ header, values: [] }, "w.bin"),
    /w\.bin: meta\.mean is \[0\], expected 2 numbers/,
  );
  assert.throws(
    () =>
      kwsMeta({ header: { ...header, meta: { ...header.meta, kind: "toy" } }, values: [] }, "w"),
    /meta\.kind is "toy"/,
  );
  // The declaration is valid and its run is the one figure.
  const runs = HIDDEN_DYNAMICS.runs!("smoke");
  assert.deepEqual(runs.map((r) => r.run), ["fig8@smoke"]);
  assert.ok(!HIDDEN_DYNAMICS.pending && HIDDEN_DYNAMICS.targets && HIDDEN_DYNAMICS.settable);
});
