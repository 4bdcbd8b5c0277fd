/**
 * Validation and test traces run in chunks where a model bounds a forward pass's batch (a
 * ConvLSTM's scratch must fit tfjs-wasm's heap): the traces equal one pass over the whole batch.
 */
import assert from "node:assert/strict";
import { ConvLstm } from "../../lib/models/conv_lstm.ts";
import { testTraces, traceBatch } from "../../lib/rc/infer.ts";
import { validate } from "../../lib/rc/train.ts";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import { Rng } from "../../lib/random.ts";
import { useCpu } from "../_backend.ts";

Deno.test("ConvLstm bounds a trace pass to what the heap holds", async () => {
  await useCpu();
  // 4 bytes × 784 pixels × (9 × 21 + 11 × 20 + 21) = 1,348,480 bytes an example: 0.6 GiB of
  // them is 477 (by hand: 644,245,094 / 1,348,480 = 477.8).
  assert.equal(new ConvLstm({ hiddenChannels: 20, numOutputs: 10, seed: 1 }).maxTraceBatch(), 477);
  // 5 × 5: 4 × 784 × (25 × 21 + 241) = 2,402,176 bytes an example: 268 (268.2).
  assert.equal(
    new ConvLstm({ hiddenChannels: 20, kernelSize: 5, numOutputs: 10, seed: 1 }).maxTraceBatch(),
    268,
  );
  // A small model stays at the cap.
  assert.equal(new ConvLstm({ hiddenChannels: 2, numOutputs: 10, seed: 1 }).maxTraceBatch(), 1000);
});

Deno.test("traces in chunks equal one pass, and validation reads them", async () => {
  await useCpu();
  const model = new ConvLstm({ height: 5, width: 4, hiddenChannels: 3, numOutputs: 4, seed: 2 });
  const T = 3, B = 7, F = 20;
  const rng = new Rng(5);
  const batch: SequenceBatch = {
    x: Float32Array.from({ length: T * B * F }, () => rng.next()),
    y: Int32Array.from({ length: B }, (_, i) => i % 4),
    numSteps: T,
    batchSize: B,
    numFeatures: F,
  };
  const whole = (await traceBatch(model, batch, { readout: "softmax" })).traces;
  // The model bounds a pass to 3 examples: 3 + 3 + 1.
  const bounded = new ConvLstm({ height: 5, width: 4, hiddenChannels: 3, numOutputs: 4, seed: 2 });
  bounded.maxTraceBatch = () => 3;
  // Passes counted by their initial states: 3 + 3 + 1 examples.
  const passes: number[] = [];
  const init = bounded.initialState.bind(bounded);
  bounded.initialState = (n: number) => (passes.push(n), init(n));
  const chunked = await testTraces(bounded, batch, "softmax", B);
  assert.deepEqual(passes, [3, 3, 1]);
  assert.deepEqual(chunked.confidence, whole.confidence);
  assert.deepEqual(chunked.label, whole.label);
  const a = await validate(model, batch, { readout: "softmax", threshold: 0.3 });
  const b = await validate(bounded, batch, { readout: "softmax", threshold: 0.3 });
  assert.deepEqual(b, a);
});
