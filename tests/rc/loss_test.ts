import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { spottingBatch, twoSequenceBatch } from "../../lib/data/toy.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import { rcLoss } from "../../lib/rc/loss.ts";
import { firstSpikes } from "../../lib/rc/spike.ts";
import { batchLoss, lossSteps, singlePassLoss } from "../../lib/rc/train.ts";
import { useCpu } from "../_backend.ts";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";

const close = (a: number, b: number, tol: number, msg: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg}: ${a} vs ${b} (tolerance ${tol})`);

Deno.test("rcLoss: hand-computed values for each readout and β", async () => {
  await useCpu();
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  // binary: z = 1.5, y = 0: BCE = -log(1 - σ(z)); H = -(p log p + (1-p) log(1-p)).
  const p = sig(1.5);
  const bce = -Math.log(1 - p);
  const h = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  const bin = await rcLoss(tf.tensor2d([[1.5]]), tf.tensor1d([0], "int32"), "binary", 0.3).data();
  close(bin[0], bce - 0.3 * h, 1e-5, "binary");
  // softmax: z = [1, 2, 0.5], y = 2.
  const z = [1, 2, 0.5];
  const zs = z.map(Math.exp).reduce((a, b) => a + b);
  const q = z.map((v) => Math.exp(v) / zs);
  const ce = -Math.log(q[2]);
  const hs = -q.reduce((s, v) => s + v * Math.log(v), 0);
  const soft = await rcLoss(tf.tensor2d([z]), tf.tensor1d([2], "int32"), "softmax", 0.2).data();
  close(soft[0], ce - 0.2 * hs, 1e-5, "softmax");
  // sigmoid: per-class BCE against one-hot, summed; entropies summed.
  let sbce = 0, sh = 0;
  z.forEach((v, j) => {
    const pj = sig(v);
    sbce += -(j === 0 ? Math.log(pj) : Math.log(1 - pj));
    sh += -(pj * Math.log(pj) + (1 - pj) * Math.log(1 - pj));
  });
  const sg = await rcLoss(tf.tensor2d([z]), tf.tensor1d([0], "int32"), "sigmoid", 0.5).data();
  close(sg[0], sbce - 0.5 * sh, 1e-5, "sigmoid");
});

Deno.test("RC with θ above 1 takes exactly the EOS loss", async () => {
  await useCpu();
  const model = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 2 });
  const batch = twoSequenceBatch(new Rng(5), 16, { numSteps: 9 });
  const opts = { readout: "binary" as const, beta: 0.1, checkEvery: 1 };
  const rc = await lossSteps(model, batch, { ...opts, method: "rc", threshold: 1.01 });
  const eos = await lossSteps(model, batch, { ...opts, method: "eos", threshold: 0.95 });
  assert.deepEqual(rc.steps, eos.steps);
  const a = batchLoss(model, batch, rc.steps, opts).loss;
  const b = batchLoss(model, batch, eos.steps, opts).loss;
  assert.equal((await a.data())[0], (await b.data())[0]);
  tf.dispose([a, b, ...model.variables]);
});

/** A threshold that splits a fresh model's confidences, so examples spike at various steps. */
async function mixedThreshold(
  model: Lstm,
  batch: ReturnType<typeof spottingBatch>,
): Promise<number> {
  const { traces } = await traceBatch(model, batch, { readout: "binary" });
  const sorted = Array.from(traces.confidence).sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length * 0.9)];
}

Deno.test("RC loss gradients match central finite differences", async () => {
  await useCpu();
  const model = new Lstm({ numInputs: 1, hiddenSize: 4, numOutputs: 1, seed: 11 });
  const batch = spottingBatch(new Rng(3), 8, { numSteps: 7 });
  const threshold = await mixedThreshold(model, batch);
  const { steps } = await lossSteps(model, batch, {
    method: "rc",
    readout: "binary",
    threshold,
    checkEvery: 1,
  });
  assert.ok(new Set(steps).size > 1, "examples should spike at different steps");
  const opts = { readout: "binary" as const, beta: 0.25 };
  const { grads } = tf.variableGrads(
    () => batchLoss(model, batch, steps, opts).loss,
    model.variables,
  );
  const lossAt = async () => {
    const l = batchLoss(model, batch, steps, opts).loss;
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };
  const eps = 1e-2;
  for (const v of model.variables) {
    const g = await grads[v.name].data();
    const values = (await v.data()).slice();
    for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
      const orig = values[i];
      values[i] = orig + eps;
      v.assign(tf.tensor(values, v.shape));
      const up = await lossAt();
      values[i] = orig - eps;
      v.assign(tf.tensor(values, v.shape));
      const down = await lossAt();
      values[i] = orig;
      v.assign(tf.tensor(values, v.shape));
      const numeric = (up - down) / (2 * eps);
      close(g[i], numeric, 2e-3 + 0.02 * Math.abs(numeric), `${v.name}[${i}]`);
    }
  }
  tf.dispose([...Object.values(grads), ...model.variables]);
});

Deno.test("inputs after an example's first spike change neither its t_sp, loss nor gradients", async () => {
  await useCpu();
  const model = new Lstm({ numInputs: 1, hiddenSize: 5, numOutputs: 1, seed: 4 });
  const batch = spottingBatch(new Rng(8), 12, { numSteps: 10 });
  const threshold = await mixedThreshold(model, batch);
  const fitOpts = { method: "rc" as const, readout: "binary" as const, threshold, checkEvery: 1 };
  const { steps } = await lossSteps(model, batch, fitOpts);
  const changed = { ...batch, x: batch.x.slice() };
  const B = batch.batchSize;
  for (let b = 0; b < B; b++) {
    for (let t = steps[b] + 1; t < batch.numSteps; t++) {
      changed.x[t * B + b] = 7 - changed.x[t * B + b] * 3;
    }
  }
  assert.deepEqual((await lossSteps(model, changed, fitOpts)).steps, steps);
  const opts = { readout: "binary" as const, beta: 0.1 };
  const a = tf.variableGrads(() => batchLoss(model, batch, steps, opts).loss, model.variables);
  const b = tf.variableGrads(() => batchLoss(model, changed, steps, opts).loss, model.variables);
  assert.equal((await a.value.data())[0], (await b.value.data())[0]);
  for (const v of model.variables) {
    assert.deepEqual(await a.grads[v.name].data(), await b.grads[v.name].data(), v.name);
  }
  tf.dispose([
    a.value,
    b.value,
    ...Object.values(a.grads),
    ...Object.values(b.grads),
    ...model.variables,
  ]);
});

Deno.test("halting RC-inference finds the same first spikes with fewer steps computed", async () => {
  await useCpu();
  const model = new Lstm({ numInputs: 1, hiddenSize: 8, numOutputs: 1, seed: 9 });
  const batch = spottingBatch(new Rng(2), 64, { numSteps: 20 });
  const threshold = await mixedThreshold(model, batch);
  const full = await traceBatch(model, batch, { readout: "binary" });
  const halted = await traceBatch(model, batch, {
    readout: "binary",
    haltThreshold: threshold,
    checkEvery: 2,
  });
  const a = firstSpikes(full.traces, threshold);
  const b = firstSpikes(halted.traces, threshold);
  assert.deepEqual(b.steps, a.steps);
  assert.deepEqual(b.fired, a.fired);
  assert.equal(full.stepsComputed, 64 * 20);
  assert.ok(
    halted.stepsComputed < full.stepsComputed,
    `${halted.stepsComputed} < ${full.stepsComputed}`,
  );
  tf.dispose(model.variables);
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`single-pass RC loss equals spike-finding pass + taped pass (${backend})`, async () => {
    await initBackend(backend, { quiet: true });
    const model = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 21 });
    const batch = spottingBatch(new Rng(13), 40, { numSteps: 12 });
    const threshold = await mixedThreshold(model, batch);
    const opts = { readout: "binary" as const, beta: 0.2, threshold };
    const { steps } = await lossSteps(model, batch, { ...opts, method: "rc", checkEvery: 3 });
    let single: Int32Array = new Int32Array(0);
    const a = tf.variableGrads(() => {
      const r = singlePassLoss(model, batch, opts);
      single = r.steps;
      return r.loss;
    }, model.variables);
    const b = tf.variableGrads(() => batchLoss(model, batch, steps, opts).loss, model.variables);
    assert.deepEqual(single, steps);
    close((await a.value.data())[0], (await b.value.data())[0], 1e-6, "loss");
    for (const v of model.variables) {
      const ga = await a.grads[v.name].data();
      const gb = await b.grads[v.name].data();
      ga.forEach((g, i) => close(g, gb[i], 1e-6, `${v.name}[${i}]`));
    }
    tf.dispose([
      a.value,
      b.value,
      ...Object.values(a.grads),
      ...Object.values(b.grads),
      ...model.variables,
    ]);
  });
}
