/** The path chooser: declared capabilities, logged fallbacks, clear errors when forced. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { ConvLstm } from "../../lib/models/conv_lstm.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { blasInUse } from "../../lib/ops/blas.ts";
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
