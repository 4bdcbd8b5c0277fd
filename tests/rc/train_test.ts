import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { twoSequenceBatch } from "../../lib/data/toy.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { bucketSize } from "../../lib/rc/infer.ts";
import { fit, type FitOptions, validate } from "../../lib/rc/train.ts";
import { useCpu } from "../_backend.ts";

function options(method: "rc" | "eos", numBatches: number, seed = 1): FitOptions {
  const rng = new Rng(seed);
  return {
    method,
    readout: "binary",
    threshold: 0.6,
    beta: 0.05,
    learningRate: 1e-2,
    numBatches,
    trainBatch: () => twoSequenceBatch(rng, 16, { numSteps: 8 }),
    validation: twoSequenceBatch(new Rng(seed + 100), 64, { numSteps: 8 }),
    validateEvery: 2,
    clipNorm: 1,
  };
}

Deno.test("bucketSize: multiples of B/8, never below one quantum or above B", () => {
  assert.equal(bucketSize(128, 128), 128);
  assert.equal(bucketSize(127, 128), 128);
  assert.equal(bucketSize(17, 128), 32);
  assert.equal(bucketSize(16, 128), 16);
  assert.equal(bucketSize(0, 128), 16);
  assert.equal(bucketSize(3, 5), 3);
});

Deno.test("tf.memory().numTensors is flat across training batches (RC and EOS)", async () => {
  await useCpu();
  for (const method of ["rc", "eos"] as const) {
    const model = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 1 });
    const before = tf.memory().numTensors;
    await fit(model, options(method, 2));
    const afterTwo = tf.memory().numTensors;
    await fit(model, options(method, 8));
    const afterEight = tf.memory().numTensors;
    assert.equal(afterTwo, before, `${method}: fit() left tensors behind`);
    assert.equal(afterEight, afterTwo, `${method}: tensors grow with the number of batches`);
    tf.dispose(model.variables);
  }
});

Deno.test("same seed, same backend: identical curves and weights", async () => {
  await useCpu();
  const run = async () => {
    const model = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 3 });
    const { curves, compute } = await fit(model, options("rc", 6, 5));
    const weights = await model.variables[1].data();
    tf.dispose(model.variables);
    // Times and memory are measurements of the machine, not results of the training.
    return {
      curves: curves.map((
        { wallSeconds: _w, rssBytes: _r, numTensors: _n, tensorBytes: _b, ...p },
      ) => p),
      backward: compute.backwardSteps,
      weights,
    };
  };
  assert.deepEqual(await run(), await run());
});

Deno.test("fit keeps the best validation weights and counts steps honestly", async () => {
  await useCpu();
  const model = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 1 });
  const opts = options("rc", 6);
  const { curves, best, compute } = await fit(model, opts);
  assert.equal(curves.length, 3);
  assert.equal(best!.spikingAccuracy, Math.max(...curves.map((c) => c.spikingAccuracy)));
  assert.equal(compute.examples, 96);
  assert.equal(compute.eosSteps, 96 * 8);
  assert.ok(compute.backwardSteps <= compute.eosSteps);
  assert.ok(compute.forwardStepsNeeded === compute.backwardSteps);
  tf.dispose(model.variables);
  const eosModel = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 1 });
  const eos = await fit(eosModel, options("eos", 2));
  assert.equal(eos.compute.backwardSteps, 32 * 8);
  assert.equal(eos.compute.forwardSteps, 32 * 8);
  tf.dispose(eosModel.variables);
});

Deno.test("RC-training learns the 2-sequence problem and spikes before the end", async () => {
  await useCpu();
  const rng = new Rng(4);
  const model = new Lstm({ numInputs: 1, hiddenSize: 16, numOutputs: 1, seed: 4 });
  const { best } = await fit(model, {
    method: "rc",
    readout: "binary",
    threshold: 0.9,
    beta: 0,
    learningRate: 1e-2,
    numBatches: 60,
    trainBatch: () => twoSequenceBatch(rng, 32, { numSteps: 20 }),
    validation: twoSequenceBatch(new Rng(44), 256, { numSteps: 20 }),
    validateEvery: 20,
  });
  // Chance is 0.5; the Bayes-optimal reader of all 20 steps gets about 0.9.
  assert.ok(best!.spikingAccuracy > 0.75, `spiking accuracy ${best!.spikingAccuracy}`);
  assert.ok(best!.meanSpikeTime < 20, `mean spike time ${best!.meanSpikeTime}`);
  tf.dispose(model.variables);
});

Deno.test("building and freeing a model leaves no tensors behind", async () => {
  await useCpu();
  const before = tf.memory().numTensors;
  const model = new Lstm({
    numInputs: 2,
    hiddenSize: 4,
    numOutputs: 3,
    readoutHidden: [5],
    seed: 1,
  });
  assert.equal(tf.memory().numTensors, before + model.variables.length);
  tf.dispose(model.variables);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("live tensors recorded at validation points are flat through training", async () => {
  await useCpu();
  const model = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 1 });
  const { curves } = await fit(model, options("rc", 8));
  const counts = curves.map((p) => p.numTensors);
  assert.ok(counts.length === 4 && counts.every((c) => c === counts[0]), `counts ${counts}`);
  tf.dispose(model.variables);
});

Deno.test("selectBy last: the model keeps the weights it ended training with", async () => {
  await useCpu();
  const model = new Lstm({ numInputs: 1, hiddenSize: 6, numOutputs: 1, seed: 3 });
  const opts = { ...options("rc", 6, 5), selectBy: "last" as const };
  const { curves, best } = await fit(model, opts);
  assert.equal(best, curves.at(-1));
  // Validating again gives the last point's numbers: the weights were not swapped back.
  const { spikingAccuracy, meanSpikeTime, eosAccuracy } = await validate(
    model,
    opts.validation,
    opts,
  );
  assert.deepEqual(
    { spikingAccuracy, meanSpikeTime, eosAccuracy },
    {
      spikingAccuracy: best!.spikingAccuracy,
      meanSpikeTime: best!.meanSpikeTime,
      eosAccuracy: best!.eosAccuracy,
    },
  );
  tf.dispose(model.variables);
});
