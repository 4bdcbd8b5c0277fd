/** The CPU engine against the tfjs path: same loss steps, loss, gradients and inference traces. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import { openBlas } from "../../lib/ops/blas.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import {
  nativeAvailable,
  nativeLossAndGrads,
  nativeTraces,
  setNativeEnabled,
} from "../../lib/accel/cpu_engine.ts";
import { Rng } from "../../lib/random.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import { firstSpikes, labelsAt } from "../../lib/rc/spike.ts";
import { batchLoss, lossAndGrads } from "../../lib/rc/train.ts";
import type { Readout } from "../../lib/rc/spike.ts";
import { useCpu } from "../_backend.ts";
import { assertClose, randomBatch } from "./_engine.ts";

const noBlas = openBlas().sgemm ? null : "no BLAS library";

const CASES: { readout: Readout; O: number; hidden: number[]; beta: number; theta: number }[] = [
  { readout: "binary", O: 1, hidden: [], beta: 0, theta: 0.6 },
  { readout: "binary", O: 1, hidden: [6], beta: 0.2, theta: 0.6 },
  { readout: "softmax", O: 4, hidden: [5], beta: 0.1, theta: 0.35 },
  { readout: "sigmoid", O: 3, hidden: [], beta: 0.3, theta: 0.7 },
];

for (const c of CASES) {
  Deno.test({
    name: `CPU engine = tfjs path: ${c.readout}, readout ${JSON.stringify(c.hidden)}, β ${c.beta}`,
    ignore: noBlas !== null,
    async fn() {
      await initBackend("wasm", { quiet: true });
      assert.ok(nativeAvailable(), "the engine should be available on wasm with BLAS");
      const B = 24, T = 7, F = 3;
      const batch = randomBatch(new Rng(11), B, T, F, c.O);
      const model = new Lstm({
        numInputs: F,
        hiddenSize: 9,
        readoutHidden: c.hidden,
        numOutputs: c.O,
        seed: 4,
      });
      // A sharper output layer, so that confidences cross θ at many different steps.
      const out = model.variables[model.variables.length - 2];
      tf.tidy(() => out.assign(tf.mul(out, 12)));
      const before = tf.memory().numTensors;
      const opts = { readout: c.readout, beta: c.beta, threshold: c.theta };
      try {
        for (const method of ["rc", "eos"] as const) {
          const native = await lossAndGrads(model, batch, { ...opts, method });
          const was = setNativeEnabled(false);
          const plain = await lossAndGrads(model, batch, { ...opts, method });
          setNativeEnabled(was);
          assert.deepEqual(native.steps, plain.steps, `${method}: loss steps`);
          if (method === "rc") {
            const spread = new Set(native.steps);
            assert.ok(spread.size >= 3, `spikes should spread over steps: ${[...spread]}`);
            const needed = native.steps.reduce((s, t) => s + t + 1, 0);
            assert.equal(native.taped, needed, "the engine computes exactly the needed steps");
          }
          assertClose([native.value.dataSync()[0]], [plain.value.dataSync()[0]], `${method} loss`);
          for (const v of model.variables) {
            assertClose(native.grads[v.name].dataSync(), plain.grads[v.name].dataSync(), v.name);
          }
          tf.dispose([native.value, plain.value, ...Object.values(native.grads)]);
          tf.dispose(Object.values(plain.grads));
        }
        // Given loss steps (not a threshold): equal to batchLoss's.
        const steps = Int32Array.from({ length: B }, (_, b) => (b * 5) % T);
        const fixed = { readout: c.readout, beta: c.beta, steps };
        const native = nativeLossAndGrads(model, batch, fixed);
        const { value, grads } = tf.variableGrads(
          () => batchLoss(model, batch, steps, opts).loss,
          model.variables,
        );
        assertClose([native.loss], [value.dataSync()[0]], "fixed-step loss");
        model.variables.forEach((v, k) =>
          assertClose(native.grads[k], grads[v.name].dataSync(), v.name)
        );
        tf.dispose([value, ...Object.values(grads)]);
        assert.deepEqual(
          nativeLossAndGrads(model, batch, fixed),
          native,
          "deterministic",
        );
        // Inference traces: all steps, then halting at θ.
        const all = nativeTraces(model, batch, { readout: c.readout });
        const was = setNativeEnabled(false);
        const reference = await traceBatch(model, batch, { readout: c.readout });
        const halted = await traceBatch(model, batch, {
          readout: c.readout,
          haltThreshold: c.theta,
        });
        setNativeEnabled(was);
        assertClose(all.confidence, reference.traces.confidence, "confidence");
        assert.deepEqual(all.label, reference.traces.label, "labels");
        assert.equal(all.stepsComputed, B * T);
        const fast = await traceBatch(model, batch, { readout: c.readout, haltThreshold: c.theta });
        const traces = (r: { traces: { confidence: Float32Array; label: Int32Array } }) => ({
          numSteps: T,
          batchSize: B,
          ...r.traces,
        });
        const ours = firstSpikes(traces(fast), c.theta);
        assert.deepEqual(ours, firstSpikes(traces(halted), c.theta), "halting: first spikes");
        assert.deepEqual(
          labelsAt(traces(fast), ours.steps),
          labelsAt(traces(halted), ours.steps),
          "halting: labels at the spikes",
        );
        assert.equal(fast.stepsComputed, ours.steps.reduce((s, t) => s + t + 1, 0));
        assert.ok(fast.stepsComputed < halted.stepsComputed, "no bucket padding");
      } finally {
        tf.dispose(model.variables);
        await useCpu();
      }
      assert.equal(tf.memory().numTensors, before - model.variables.length);
    },
  });
}

Deno.test("the CPU engine is not used off wasm", async () => {
  await useCpu();
  assert.equal(nativeAvailable(), false);
});
