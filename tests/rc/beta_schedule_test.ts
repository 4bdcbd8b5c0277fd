/** β schedules (paper Fig. 3C): β switches at the configured batch, on every training path. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import type { PathName } from "../../lib/rc/paths.ts";
import { betaAt, fit, type FitOptions } from "../../lib/rc/train.ts";
import { randomBatch } from "../accel/_engine.ts";
import { noBlasReason, noWebGpuReason, warmEngineKernels } from "../_backend.ts";

Deno.test("betaAt: the initial β until the first switch, then each entry from its batch on", () => {
  const schedule = [{ fromBatch: 3, beta: 0.5 }, { fromBatch: 5, beta: 0.1 }];
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((i) => betaAt(2, schedule, i)), [
    2,
    2,
    2,
    0.5,
    0.5,
    0.1,
    0.1,
  ]);
});

const CASES: { backend: "cpu" | "wasm" | "webgpu"; path: PathName; skip: string | null }[] = [
  { backend: "cpu", path: "tfjs", skip: null },
  { backend: "wasm", path: "cpu-engine", skip: noBlasReason },
  { backend: "webgpu", path: "webgpu-engine", skip: noWebGpuReason },
];

for (const c of CASES) {
  Deno.test({
    name: `fit() switches β at the scheduled batch (${c.path} on ${c.backend})`,
    ignore: c.skip !== null,
    async fn() {
      if (c.path === "webgpu-engine") await warmEngineKernels();
      await initBackend(c.backend, { quiet: true });
      const train = async (schedule?: FitOptions["betaSchedule"]) => {
        const model = new Lstm({ numInputs: 2, hiddenSize: 6, numOutputs: 3, seed: 5 });
        try {
          return await fit(model, {
            method: "rc",
            readout: "softmax",
            threshold: 0.5,
            beta: 0,
            betaSchedule: schedule,
            learningRate: 0.02,
            numBatches: 4,
            trainBatch: (k) => randomBatch(new Rng(k), 16, 5, 2, 3),
            validation: randomBatch(new Rng(50), 32, 5, 2, 3),
            validateEvery: 2,
            path: c.path,
          });
        } finally {
          tf.dispose(model.variables);
        }
      };
      const constant = await train();
      const switched = await train([{ fromBatch: 2, beta: 1.5 }]);
      // Before the switch, the same training; from batch 2 on, β = 1.5 changes the loss.
      assert.equal(switched.curves[0].loss, constant.curves[0].loss);
      assert.notEqual(switched.curves[1].loss, constant.curves[1].loss);
      assert.deepEqual(switched.curves.map((p) => p.beta), [0, 1.5]);
      assert.equal(constant.curves[0].beta, undefined);
    },
  });
}

Deno.test("a β schedule out of order or with a bad batch is refused, naming the entry", async () => {
  await initBackend("cpu", { quiet: true });
  const model = new Lstm({ numInputs: 1, hiddenSize: 2, numOutputs: 1, seed: 1 });
  const opts = {
    method: "rc" as const,
    readout: "binary" as const,
    threshold: 0.9,
    beta: 0,
    learningRate: 0.01,
    numBatches: 1,
    trainBatch: () => randomBatch(new Rng(1), 4, 3, 1, 1),
    validation: randomBatch(new Rng(2), 4, 3, 1, 1),
    validateEvery: 1,
  };
  try {
    await assert.rejects(
      fit(model, { ...opts, betaSchedule: [{ fromBatch: 5, beta: 1 }, { fromBatch: 2, beta: 0 }] }),
      /entry 1 \(2\) follows 5/,
    );
    await assert.rejects(
      fit(model, { ...opts, betaSchedule: [{ fromBatch: 1.5, beta: 1 }] }),
      /betaSchedule\[0\]\.fromBatch must be an integer >= 0: current value is 1.5/,
    );
  } finally {
    tf.dispose(model.variables);
  }
});
