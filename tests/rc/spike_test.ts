import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  confidenceAndLabel,
  firstSpike,
  firstSpikes,
  labelsAt,
  type Traces,
} from "../../lib/rc/spike.ts";
import { useCpu } from "../_backend.ts";

Deno.test("firstSpike: a crossing at step 0 is a spike at step 0", () => {
  assert.deepEqual(firstSpike([0.96, 0.1, 0.99], 0.95), { step: 0, fired: true });
});

Deno.test("firstSpike: no crossing gives the last step, unfired", () => {
  assert.deepEqual(firstSpike([0.5, 0.94, 0.949], 0.95), { step: 2, fired: false });
});

Deno.test("firstSpike: equality counts as a crossing; NaN never does", () => {
  assert.deepEqual(firstSpike([NaN, 0.95, 0.99], 0.95), { step: 1, fired: true });
});

Deno.test("firstSpike: a threshold above 1 never fires", () => {
  assert.deepEqual(firstSpike([1, 1, 1], 1.01), { step: 2, fired: false });
});

Deno.test("firstSpikes over traces, time first, and labels read at the spike", () => {
  // T = 3, B = 3: example 0 spikes at 1, example 1 at 0, example 2 never.
  const traces: Traces = {
    numSteps: 3,
    batchSize: 3,
    confidence: Float32Array.from([0.5, 0.97, 0.1, 0.96, 0.2, 0.3, 0.99, 0.99, 0.9]),
    label: Int32Array.from([0, 1, 0, 2, 1, 0, 2, 2, 1]),
  };
  const { steps, fired } = firstSpikes(traces, 0.95);
  assert.deepEqual(Array.from(steps), [1, 0, 2]);
  assert.deepEqual(Array.from(fired), [1, 1, 0]);
  assert.deepEqual(Array.from(labelsAt(traces, steps)), [2, 1, 1]);
});

Deno.test("binary readout: both sides spike, with the side as the label", async () => {
  await useCpu();
  // sigmoid(3.2) = 0.9608 (positive spike), sigmoid(-3.2) = 0.0392 (negative spike), 0 undecided.
  const { confidence, label } = confidenceAndLabel(tf.tensor2d([[3.2], [-3.2], [0]]), "binary");
  const c = await confidence.data();
  assert.deepEqual(Array.from(await label.data()), [1, 0, 1]);
  assert.ok(c[0] >= 0.95 && c[1] >= 0.95 && Math.abs(c[2] - 0.5) < 1e-7);
  tf.dispose([confidence, label]);
});

Deno.test("sigmoid and softmax readouts: ties go to the lowest class index", async () => {
  await useCpu();
  for (const readout of ["sigmoid", "softmax"] as const) {
    const { confidence, label } = confidenceAndLabel(tf.tensor2d([[0, 4, 4], [5, 1, 0]]), readout);
    assert.deepEqual(Array.from(await label.data()), [1, 0], readout);
    const c = await confidence.data();
    const expected = readout === "sigmoid"
      ? [1 / (1 + Math.exp(-4)), 1 / (1 + Math.exp(-5))]
      : [Math.exp(4) / (1 + 2 * Math.exp(4)), Math.exp(5) / (Math.exp(5) + Math.exp(1) + 1)];
    c.forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]) < 1e-6, `${readout}: ${v} vs ${expected[i]}`)
    );
    tf.dispose([confidence, label]);
  }
});

Deno.test("binary readout refuses a model with more than one output", async () => {
  await useCpu();
  assert.throws(
    () => confidenceAndLabel(tf.zeros([2, 3]) as tf.Tensor2D, "binary"),
    /needs 1 output unit/,
  );
});
