/**
 * fit() resumes exactly from a checkpoint on every path (same curves, counts and weights as an
 * uninterrupted run), through the checkpoint file format; early stopping ends training at the
 * point that asks for it, and a stopped run resumed stays stopped.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { encodeWeights } from "../../lib/models/weights.ts";
import { Rng } from "../../lib/random.ts";
import { decodeFitState, encodeFitState, type FitState } from "../../lib/rc/checkpoint.ts";
import type { PathName } from "../../lib/rc/paths.ts";
import { fit, type FitOptions } from "../../lib/rc/train.ts";
import type { CurvePoint } from "../../lib/rc/types.ts";
import { randomBatch } from "../accel/_engine.ts";
import { noBlasReason, noWebGpuReason, warmEngineKernels } from "../_backend.ts";

const CASES: { backend: "cpu" | "wasm" | "webgpu"; path: PathName; skip: string | null }[] = [
  { backend: "cpu", path: "tfjs", skip: null },
  { backend: "wasm", path: "cpu-engine", skip: noBlasReason },
  { backend: "webgpu", path: "webgpu-engine", skip: noWebGpuReason },
];

const model = () =>
  new Lstm({ numInputs: 3, hiddenSize: 6, readoutHidden: [4], numOutputs: 3, seed: 5 });

const options = (path: PathName): FitOptions => ({
  method: "rc",
  readout: "softmax",
  threshold: 0.4,
  beta: 0.1,
  learningRate: 0.05,
  numBatches: 8,
  clipNorm: 0.25,
  trainBatch: (i) => randomBatch(new Rng(100 + i), 8, 5, 3, 3),
  validation: randomBatch(new Rng(7), 16, 5, 3, 3),
  validateEvery: 2,
  path,
});

/** A curve point without what depends on time and memory. */
const stable = (p: CurvePoint) => {
  const { wallSeconds: _w, numTensors: _n, tensorBytes: _b, rssBytes: _r, ...rest } = p;
  return rest;
};

for (const c of CASES) {
  Deno.test({
    name: `fit() resumed from a checkpoint equals an uninterrupted run (${c.path} on ${c.backend})`,
    ignore: c.skip !== null,
    async fn() {
      if (c.path === "webgpu-engine") await warmEngineKernels();
      await initBackend(c.backend, { quiet: true });
      const before = tf.memory().numTensors;
      const states: Uint8Array[] = [];
      const a = model();
      const full = await fit(a, {
        ...options(c.path),
        checkpoint: (s: FitState) => {
          states.push(encodeFitState(s, { run: "test" }));
          return Promise.resolve();
        },
      });
      assert.equal(states.length, 4);
      const { state, meta } = decodeFitState(states[1], "mem");
      assert.equal(meta.run, "test");
      assert.equal(state.batch, 4);
      const b = model(); // fresh weights: the checkpoint must bring its own
      const resumed = await fit(b, { ...options(c.path), resume: state });
      assert.equal(resumed.resumedFrom, 4);
      assert.deepEqual(resumed.curves.map(stable), full.curves.map(stable));
      assert.deepEqual(stable(resumed.best!), stable(full.best!));
      const { wallSeconds: _a, ...countsFull } = full.compute;
      const { wallSeconds: _b, ...countsResumed } = resumed.compute;
      assert.deepEqual(countsResumed, countsFull);
      for (let k = 0; k < a.variables.length; k++) {
        assert.deepEqual(await b.variables[k].data(), await a.variables[k].data(), `variable ${k}`);
      }
      tf.dispose([...a.variables, ...b.variables]);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
    },
  });
}

Deno.test("fit(): early stopping ends at the point that asks, keeps the best weights, stays stopped on resume", async () => {
  await initBackend("cpu", { quiet: true });
  const seen: number[] = [];
  let last: FitState | null = null;
  const m = model();
  const r = await fit(m, {
    ...options("tfjs"),
    stopWhen: (p, curves) => {
      seen.push(p.batch);
      assert.equal(curves.at(-1), p);
      return p.batch === 4 ? "spiking accuracy below the majority class" : null;
    },
    checkpoint: (s) => {
      last = s;
      return Promise.resolve();
    },
  });
  assert.deepEqual(seen, [2, 4]);
  assert.deepEqual(r.stopped, { batch: 4, reason: "spiking accuracy below the majority class" });
  assert.equal(r.curves.length, 2);
  assert.equal(r.compute.examples, 4 * 8);
  assert.ok(r.best && [2, 4].includes(r.best.batch));
  assert.deepEqual(last!.stopped, r.stopped);
  const again = await fit(model(), {
    ...options("tfjs"),
    resume: decodeFitState(encodeFitState(last!)).state,
  });
  assert.deepEqual(again.stopped, r.stopped);
  assert.equal(again.curves.length, 2);
  assert.equal(again.compute.examples, 4 * 8);
  tf.dispose(m.variables);
});

Deno.test("fit(): a checkpoint from another path is refused with the fix", async () => {
  await initBackend("cpu", { quiet: true });
  let saved: FitState | null = null;
  await fit(model(), {
    ...options("tfjs"),
    numBatches: 2,
    checkpoint: (s) => Promise.resolve(void (saved = s)),
  });
  const other = { ...saved!, path: "cpu-engine" };
  await assert.rejects(
    fit(model(), { ...options("tfjs"), resume: other }),
    /saved on the cpu-engine path, this machine trains on tfjs.*delete the checkpoint/,
  );
});

Deno.test("checkpoint format keeps NaN and Infinity in curves and rejects a weights file", () => {
  const s: FitState = {
    batch: 2,
    curves: [{
      batch: 2,
      examples: 4,
      loss: NaN,
      spikingAccuracy: 0.5,
      meanSpikeTime: Infinity,
      fractionFired: 0,
      eosAccuracy: 0.25,
      wallSeconds: 1,
    }],
    best: null,
    compute: {
      forwardSteps: 1,
      forwardStepsNeeded: 1,
      backwardSteps: 1,
      eosSteps: 2,
      flops: 3,
      wallSeconds: 0.5,
      examples: 4,
    },
    weights: [new Float32Array([1, 2])],
    bestWeights: null,
    optimizer: {
      m: [new Float32Array([0.5, NaN])],
      v: [new Float32Array([3, 4])],
      acc1: 0.81,
      acc2: 0.998,
      step: 2,
    },
    path: "tfjs",
  };
  const back = decodeFitState(encodeFitState(s)).state;
  assert.ok(Number.isNaN(back.curves[0].loss));
  assert.equal(back.curves[0].meanSpikeTime, Infinity);
  assert.deepEqual(back.weights, s.weights);
  assert.deepEqual(back.optimizer, s.optimizer);
  assert.equal(back.bestWeights, null);
  const weightsFile = encodeWeights({ name: "lstm" }, [[2]], [new Float32Array(2)]);
  assert.throws(() => decodeFitState(weightsFile, "w.bin"), /w.bin: not a fit\(\) checkpoint/);
});
