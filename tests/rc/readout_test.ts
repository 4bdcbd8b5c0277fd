/** The plain-JS readout maths (lib/rc/readout.ts) equal the tfjs readouts (lib/rc/spike.ts). */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { Rng } from "../../lib/random.ts";
import { argmaxLabel, confidence } from "../../lib/rc/readout.ts";
import { confidenceAndLabel, READOUTS } from "../../lib/rc/spike.ts";

Deno.test("readout maths in JS equal the tfjs readouts, for every readout (lif included)", async () => {
  await initBackend("cpu", { quiet: true });
  const rng = new Rng(3);
  for (const readout of READOUTS) {
    const O = readout === "binary" ? 1 : 5, B = 40;
    const logits = Float32Array.from({ length: B * O }, () => rng.normal() * 3);
    logits[O] = logits[O + 1 % O]; // a tie somewhere
    const ref = tf.tidy(() => {
      const { confidence: c, label } = confidenceAndLabel(tf.tensor2d(logits, [B, O]), readout);
      return { c: c.dataSync(), label: label.dataSync() };
    });
    for (let b = 0; b < B; b++) {
      const c = confidence(logits, b * O, O, readout);
      assert.ok(Math.abs(c - ref.c[b]) <= 1e-6 * (1 + Math.abs(ref.c[b])), `${readout} row ${b}`);
      assert.equal(argmaxLabel(logits, b * O, O, readout), ref.label[b], `${readout} label ${b}`);
    }
  }
});
