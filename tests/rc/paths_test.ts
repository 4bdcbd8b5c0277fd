/**
 * The path chooser: declared capabilities, logged fallbacks, clear errors when forced, and the
 * registry of accelerators it picks from.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import { ConvLstm } from "../../lib/models/conv_lstm.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { blasInUse } from "../../lib/ops/blas.ts";
import { spottingBatch } from "../../lib/data/toy.ts";
import { Rng } from "../../lib/random.ts";
import { registerAccelerator } from "../../lib/rc/accelerators.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import { choosePath, overrideCapabilities } from "../../lib/rc/paths.ts";
import { useCpu } from "../_backend.ts";

Deno.test("the cpu backend runs every model on the tfjs reference path, saying so", async () => {
  await useCpu();
  const lstm = new Lstm({ numInputs: 2, hiddenSize: 3, numOutputs: 1, seed: 1 });
  const choice = choosePath(lstm, { purpose: "train", readout: "binary" });
  assert.equal(choice.name, "tfjs");
  assert.match(choice.reason, /reference path .* on cpu/);
  assert.ok(choice.declined.some((d) => /cpu-engine: backend is not wasm/.test(d)));
  assert.throws(
    () => choosePath(lstm, { purpose: "train", readout: "binary", force: "webgpu-engine" }),
    /path webgpu-engine cannot train lstm here: backend is not webgpu/,
  );
  tf.dispose(lstm.variables);
});

Deno.test("on wasm: an Lstm takes the CPU engine, a ConvLstm the reference; a missing capability is logged", async () => {
  await initBackend("wasm", { quiet: true });
  const conv = new ConvLstm({ height: 3, width: 3, hiddenChannels: 1, numOutputs: 2, seed: 1 });
  const convChoice = choosePath(conv, { purpose: "train", readout: "softmax" });
  assert.equal(convChoice.name, "tfjs");
  assert.ok(convChoice.declined.some((d) => /cpu-engine: .* is not an Lstm/.test(d)));
  tf.dispose(conv.variables);
  if (!blasInUse()) return; // the CPU engine needs OpenBLAS; the rest needs it to run
  const lstm = new Lstm({ numInputs: 2, hiddenSize: 3, numOutputs: 1, seed: 1 });
  assert.equal(
    choosePath(lstm, { purpose: "train", readout: "binary", clipNorm: 1 }).name,
    "cpu-engine",
  );
  const logged: string[] = [];
  const error = console.error;
  console.error = (line: string) => logged.push(line);
  const undo = overrideCapabilities({ clipping: { "cpu-engine": false } });
  try {
    const choice = choosePath(lstm, { purpose: "train", readout: "binary", clipNorm: 1 });
    assert.equal(choice.name, "tfjs");
    assert.ok(choice.declined.includes("cpu-engine: no gradient clipping"), choice.declined.join());
    assert.ok(
      logged.some((l) => /cpu-engine not used .*no gradient clipping/.test(l)),
      logged.join(),
    );
    // Without clipping the engine serves again.
    assert.equal(choosePath(lstm, { purpose: "train", readout: "binary" }).name, "cpu-engine");
  } finally {
    undo();
    console.error = error;
    tf.dispose(lstm.variables);
  }
});

Deno.test("the chooser picks from the registered accelerators; one that serves less is passed over", async () => {
  await useCpu();
  const lstm = new Lstm({ numInputs: 1, hiddenSize: 3, numOutputs: 1, seed: 1 });
  const batch = spottingBatch(new Rng(2), 4, { numSteps: 5 });
  const [T, B] = [batch.numSteps, batch.batchSize];
  // A stand-in under cpu-engine's name: runs any Lstm here, serves inference only.
  const undo = registerAccelerator({
    name: "cpu-engine",
    runs: (model) => model instanceof Lstm ? null : "not an Lstm",
    readouts: ["binary"],
    purposes: ["infer"],
    clipping: false,
    halting: "skip",
    hiddenTraces: false,
    traces: () => ({
      confidence: new Float32Array(T * B).fill(0.5),
      label: new Int32Array(T * B),
      stepsComputed: 7,
      stepsRun: T,
    }),
  });
  const logged: string[] = [];
  const error = console.error;
  console.error = (line: string) => logged.push(line);
  try {
    const r = await traceBatch(lstm, batch, { readout: "binary" });
    assert.equal(r.path.name, "cpu-engine");
    assert.equal(r.stepsComputed, 7);
    const train = choosePath(lstm, { purpose: "train", readout: "binary" });
    assert.equal(train.name, "tfjs");
    assert.ok(train.declined.includes("cpu-engine: does not serve train"), train.declined.join());
    assert.ok(logged.some((l) => /cpu-engine not used .*does not serve train/.test(l)));
  } finally {
    console.error = error;
    undo();
  }
  // Undone: lib/accel's CPU engine is back in its place.
  const back = choosePath(lstm, { purpose: "infer", readout: "binary" });
  assert.ok(
    back.declined.some((d) => /cpu-engine: backend is not wasm/.test(d)),
    back.declined.join(),
  );
  assert.throws(
    () =>
      registerAccelerator({
        name: "webgpu-engine",
        runs: () => null,
        readouts: ["binary"],
        purposes: ["infer"],
        clipping: false,
        halting: "mask",
        hiddenTraces: false,
      }),
    /cannot register "webgpu-engine": it needs traces/,
  );
  tf.dispose(lstm.variables);
});
