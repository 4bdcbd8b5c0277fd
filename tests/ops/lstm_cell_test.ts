/** The fused LSTM cells (WGSL on webgpu, WebAssembly SIMD on wasm) against the op-by-op path. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { spottingBatch } from "../../lib/data/toy.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { batchLoss } from "../../lib/rc/train.ts";
import { noWebGpuReason, useCpu } from "../_backend.ts";

async function lossAndGrads(fusedCell: boolean, steps: Int32Array, hiddenSize = 8) {
  const before = tf.memory().numTensors;
  const model = new Lstm({
    numInputs: 1,
    hiddenSize,
    numOutputs: 1,
    readoutHidden: [4],
    seed: 5,
    fusedCell,
  });
  const batch = spottingBatch(new Rng(6), 24, { numSteps: 7 });
  const { value, grads } = tf.variableGrads(
    () => batchLoss(model, batch, steps, { readout: "binary", beta: 0.1 }).loss,
    model.variables,
  );
  const out = {
    fused: model.usesFusedCell(),
    loss: (await value.data())[0],
    grads: await Promise.all(
      model.variables.map(async (v) => Array.from(await grads[v.name].data())),
    ),
  };
  tf.dispose([value, ...Object.values(grads), ...model.variables]);
  assert.equal(tf.memory().numTensors, before, "tensors left behind");
  return out;
}

/** Fused and op-by-op paths on `backend` against the cpu backend's op-by-op path. */
async function checkFused(backend: "webgpu" | "wasm", hiddenSize: number) {
  // Examples stop at different steps, so the batch shrinks (bucketed) inside the taped pass.
  const steps = Int32Array.from({ length: 24 }, (_, i) => i % 7);
  await useCpu();
  const reference = await lossAndGrads(true, steps, hiddenSize);
  assert.equal(reference.fused, false);
  await initBackend(backend, { quiet: true });
  try {
    const fused = await lossAndGrads(true, steps, hiddenSize);
    const plain = await lossAndGrads(false, steps, hiddenSize);
    assert.equal(fused.fused, true);
    assert.equal(plain.fused, false);
    for (const other of [fused, plain]) {
      assert.ok(
        Math.abs(other.loss - reference.loss) < 1e-5,
        `loss ${other.loss} vs ${reference.loss}`,
      );
      other.grads.forEach((g, k) =>
        g.forEach((v, i) =>
          assert.ok(
            Math.abs(v - reference.grads[k][i]) < 1e-4 + 1e-3 * Math.abs(reference.grads[k][i]),
            `variable ${k}[${i}]: ${v} vs ${reference.grads[k][i]}`,
          )
        )
      );
    }
  } finally {
    await useCpu();
  }
}

Deno.test({
  name: "fused WGSL LSTM cell: loss and gradients equal the op-by-op path (webgpu)",
  ignore: noWebGpuReason !== null,
  fn: () => checkFused("webgpu", 8),
});

for (const hidden of [8, 9]) {
  Deno.test(
    `fused wasm SIMD LSTM cell, hidden ${hidden}: loss and gradients equal the op-by-op path`,
    () => checkFused("wasm", hidden),
  );
}

/**
 * Why the rebuild test cannot run here, or null. `build_lstm_cell_wasm.sh` needs clang and the
 * wasm linker (lld's `wasm-ld`); a tool that is missing makes `Deno.Command` throw NotFound
 * synchronously, which the async wrapper turns into a skip reason (never a load-time failure).
 */
const noClangReason: string | null = await (async () => {
  for (const tool of ["clang", "wasm-ld"]) {
    try {
      const probe = await new Deno.Command(tool, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (!probe.success) return `${tool} --version failed`;
    } catch (e) {
      return `no ${tool} (${(e as Error).name})`;
    }
  }
  return null;
})();
if (noClangReason) {
  console.error(
    `wasm cell rebuild test skipped: ${noClangReason} (Debian: apt-get install -y clang lld)`,
  );
}
Deno.test({
  name: "the committed wasm cell is what lstm_cell_wasm.c builds to",
  ignore: noClangReason !== null,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = await new Deno.Command("bash", {
        args: ["lib/ops/build_lstm_cell_wasm.sh", `${dir}/bytes.ts`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      assert.equal(
        await Deno.readTextFile(`${dir}/bytes.ts`),
        await Deno.readTextFile("lib/ops/lstm_cell_wasm_bytes.ts"),
        "rebuild with lib/ops/build_lstm_cell_wasm.sh and commit the result",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
