/**
 * fit()'s runner on the tfjs path: tfjs's Adam over `lossAndGrads`, optional clipping. It also
 * trains on an accelerator that offers gradients but no trainer of its own (the CPU engine with
 * its trainer turned off).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RecurrentModel } from "../models/model.ts";
import { registered } from "./accelerators.ts";
import { checkOptimizerState } from "./checkpoint.ts";
import { clipByGlobalNorm, globalNorm } from "./clipping.ts";
import { lossAndGrads } from "./gradients.ts";
import type { PathChoice } from "./paths.ts";
import { count, meanOf, type NonFinite, type StepRunner } from "./runner.ts";
import type { FitOptions } from "./train.ts";

/**
 * The tfjs path (or an accelerator's gradients, when it has no trainer for this fit) with tfjs's
 * Adam and optional clipping. Losses and gradient norms stay on the backend until the next flush.
 */
export function tfjsRunner(model: RecurrentModel, opts: FitOptions, path: PathChoice): StepRunner {
  // The path's own gradients where it serves them, else tfjs's.
  const gradients = registered(path.name)?.purposes.includes("gradients") ? path.name : "tfjs";
  const optimizer = tf.train.adam(opts.learningRate);
  const flopsPerStep = model.flopsPerStep();
  let values: tf.Scalar[] = [];
  let norms: tf.Scalar[] = [];
  const read = async (list: tf.Scalar[]) => {
    if (!list.length) return new Float32Array(0);
    const stacked = tf.stack(list);
    const data = await stacked.data() as Float32Array;
    tf.dispose([stacked, ...list]);
    return data;
  };
  return {
    path,
    async step(batch, compute) {
      const r = await lossAndGrads(model, batch, {
        ...opts,
        path: gradients,
      });
      const norm = globalNorm(r.grads); // kept for the divergence check, and used to clip
      norms.push(norm);
      if (opts.clipNorm !== undefined) clipByGlobalNorm(r.grads, opts.clipNorm, norm);
      optimizer.applyGradients(Object.entries(r.grads).map(([name, tensor]) => ({ name, tensor })));
      tf.dispose(r.grads);
      values.push(r.value);
      count(compute, flopsPerStep, r.steps, r.spikeSteps + r.taped, r.taped);
      return null;
    },
    async flush() {
      const losses = await read(values);
      const gradNorms = await read(norms);
      values = [];
      norms = [];
      let nonFinite: NonFinite | null = null;
      for (let k = 0; k < losses.length && !nonFinite; k++) {
        if (!Number.isFinite(losses[k])) nonFinite = { offset: k, what: `loss ${losses[k]}` };
        else if (!Number.isFinite(gradNorms[k])) {
          nonFinite = { offset: k, what: `gradient norm ${gradNorms[k]}` };
        }
      }
      return { meanLoss: meanOf(losses), nonFinite };
    },
    async settle() {
      if (values.length) await values[values.length - 1].data();
    },
    async exportState() {
      // [iterations, first moments..., second moments...] in model.variables order.
      const named = await optimizer.getWeights();
      const arrays = await Promise.all(
        named.slice(1).map(async (w) => new Float32Array(await w.tensor.data())),
      );
      const n = arrays.length / 2;
      // deno-lint-ignore no-explicit-any
      const acc = optimizer as any as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      const [acc1, acc2] = [(await acc.accBeta1.data())[0], (await acc.accBeta2.data())[0]];
      tf.dispose(named[0].tensor);
      return { m: arrays.slice(0, n), v: arrays.slice(n), acc1, acc2, step: optimizer.iterations };
    },
    async importState(state) {
      checkOptimizerState(state, model.variables.map((v) => v.size), "fit (tfjs path)");
      const tensors = [
        ...state.m.map((a, k) => ({
          name: `m${k}`,
          tensor: tf.tensor(a, model.variables[k].shape),
        })),
        ...state.v.map((a, k) => ({
          name: `v${k}`,
          tensor: tf.tensor(a, model.variables[k].shape),
        })),
      ];
      const iterations = tf.scalar(state.step, "int32");
      await optimizer.setWeights([{ name: "iter", tensor: iterations }, ...tensors]);
      tf.dispose([iterations, ...tensors.map((t) => t.tensor)]);
      // setWeights forms β^(t+1) with pow(); the run had a running product: restore it exactly.
      // deno-lint-ignore no-explicit-any
      const acc = optimizer as any as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      tf.tidy(() => {
        acc.accBeta1.assign(tf.scalar(state.acc1));
        acc.accBeta2.assign(tf.scalar(state.acc2));
      });
    },
    dispose() {
      tf.dispose([...values, ...norms]);
      optimizer.dispose();
    },
  };
}
