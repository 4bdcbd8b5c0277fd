/**
 * The webgpu backend's guards: tf.addN with more inputs than a shader stage binds still sums
 * (tfjs-webgpu's own kernel makes an invalid pipeline there, and WebGPU silently drops the whole
 * submitted batch), and a WebGPU error fails loudly through assertNoGpuErrors instead of leaving
 * wrong numbers behind. Skipped where no WebGPU adapter exists.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { assertNoGpuErrors } from "../lib/ops/webgpu_guards.ts";
import { Rng } from "../lib/random.ts";
import { noWebGpuReason, useCpu } from "./_backend.ts";

const dataIds = () => (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();

Deno.test({
  name:
    "addN on webgpu: 8 and 20 inputs sum as in float64 to float32 rounding, leaving nothing behind",
  ignore: noWebGpuReason !== null,
  async fn() {
    const rng = new Rng(3);
    const arrays = Array.from(
      { length: 20 },
      () => Float32Array.from({ length: 5 }, () => rng.normal()),
    );
    const sumOf = async (n: number) => {
      const xs = arrays.slice(0, n).map((a) => tf.tensor1d(a));
      const before = dataIds();
      const sum = tf.addN(xs);
      const out = Array.from(await sum.data());
      sum.dispose();
      assert.equal(dataIds(), before, `addN of ${n} leaves no intermediate data`);
      tf.dispose(xs);
      return out;
    };
    const exact = (n: number) =>
      arrays[0].map((_, i) => arrays.slice(0, n).reduce((s, a) => s + a[i], 0));
    const near = (got: number[], n: number) =>
      exact(n).forEach((x, i) =>
        assert.ok(Math.abs(got[i] - x) <= 1e-5 * (1 + Math.abs(x)), `sum of ${n}: ${got} vs ${x}`)
      );
    await initBackend("webgpu", { quiet: true });
    try {
      // Ahead of the sums: a batch with an invalid dispatch in it would drop this product too.
      const product = tf.mul(tf.scalar(3), tf.scalar(4));
      near(await sumOf(8), 8);
      near(await sumOf(20), 20);
      assert.equal((await product.data())[0], 12);
      product.dispose();
      assertNoGpuErrors("the sums");
    } finally {
      await useCpu();
    }
  },
});

Deno.test({
  name: "assertNoGpuErrors: a WebGPU validation error fails loudly, once, with its message",
  ignore: noWebGpuReason !== null,
  async fn() {
    await initBackend("webgpu", { quiet: true });
    try {
      assertNoGpuErrors("the start");
      const device = (tf.backend() as unknown as { device: GPUDevice }).device;
      // A pipeline with no such entry point: invalid, reported only as an event on the device.
      device.createComputePipeline({
        layout: "auto",
        compute: {
          module: device.createShaderModule({ code: "@compute @workgroup_size(1) fn f() {}" }),
          entryPoint: "missing",
        },
      });
      let thrown: Error | null = null;
      for (let k = 0; k < 100 && !thrown; k++) {
        await new Promise((resolve) => setTimeout(resolve, 20)); // the device's events arrive
        try {
          assertNoGpuErrors("the invalid pipeline");
        } catch (e) {
          thrown = e as Error;
        }
      }
      assert.ok(thrown, "the error was reported");
      assert.match(thrown.message, /WebGPU reported 1 error\(s\) by the invalid pipeline/);
      assert.match(thrown.message, /--backend wasm/);
      assertNoGpuErrors("after the report"); // reported once, then forgotten
    } finally {
      await useCpu();
    }
  },
});

Deno.test("gitRevision: run outputs under reports/ do not make the tree dirty; code does", async () => {
  const { gitRevision } = await import("../lib/backend.ts");
  const dir = await Deno.makeTempDir({ prefix: "rc-rev-" });
  const git = (...args: string[]) =>
    new Deno.Command("git", { args, cwd: dir, stdout: "null", stderr: "null" }).outputSync();
  if (!git("init", "-q").success) return; // no git here: nothing to check
  git("config", "user.email", "t@t");
  git("config", "user.name", "t");
  await Deno.mkdir(`${dir}/reports`);
  await Deno.writeTextFile(`${dir}/code.ts`, "1");
  await Deno.writeTextFile(`${dir}/reports/run.json`, "{}");
  git("add", ".");
  git("commit", "-qm", "c");
  const cwd = Deno.cwd();
  try {
    Deno.chdir(dir);
    const clean = await gitRevision();
    assert.match(clean, /^[0-9a-f]{12}$/);
    await Deno.writeTextFile(`${dir}/reports/run.json`, '{"new": 1}');
    assert.equal(await gitRevision(), clean);
    await Deno.writeTextFile(`${dir}/code.ts`, "2");
    assert.match(await gitRevision(), new RegExp(`^${clean}-dirty-[0-9a-f]{12}$`));
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});
