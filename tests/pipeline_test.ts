/**
 * The pipeline's direction: a module imports only from modules before it
 * (data -> encode -> models -> rc -> results -> backend -> experiments -> report).
 */
import assert from "node:assert/strict";

const STAGES: [RegExp, number][] = [
  [/^lib\/random\.ts$/, 0],
  [/^lib\/ops\//, 0], // fused ops inside tfjs's autodiff, beneath everything that computes
  [/^lib\/data\//, 1],
  [/^lib\/encode\//, 2],
  [/^lib\/models\//, 3],
  [/^lib\/rc\//, 4],
  [/^lib\/accel\//, 4], // the optional accelerators the chooser in lib/rc picks from
  [/^lib\/results\.ts$/, 5],
  [/^lib\/backend\.ts$/, 6],
  [/^lib\/experiment(s\/|\.ts$)/, 7],
  [/^lib\/report\//, 8],
];

function stageOf(path: string): number {
  const found = STAGES.find(([re]) => re.test(path));
  if (!found) throw new Error(`${path} belongs to no pipeline stage: add it to STAGES`);
  return found[1];
}

async function* libFiles(dir = "lib"): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* libFiles(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("lib modules import only from earlier pipeline stages (or their own)", async () => {
  const offences: string[] = [];
  for await (const file of libFiles()) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/(?:import|export)[^;]*?from\s+"(\.[^"]+)"/g)) {
      const target = new URL(m[1], `file:///${file}`).pathname.slice(1);
      if (stageOf(target) > stageOf(file)) offences.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(offences, []);
});

Deno.test("the report never imports tfjs", async () => {
  for await (const file of libFiles("lib/report")) {
    const text = await Deno.readTextFile(file);
    assert.ok(!/from\s+"[^"]*tensorflow/.test(text), `${file} imports tfjs`);
  }
});

/**
 * lib/rc should import nothing from lib/accel (the accelerators should register with rc's chooser
 * instead). The arrows left today, to be removed; a new one fails this test.
 */
const RC_TO_ACCEL_LEFT = [
  "lib/rc/infer.ts -> lib/accel/cpu_engine.ts",
  "lib/rc/infer.ts -> lib/accel/gpu_fit.ts",
  "lib/rc/paths.ts -> lib/accel/cpu_engine.ts",
  "lib/rc/paths.ts -> lib/accel/gpu_fit.ts",
  "lib/rc/train.ts -> lib/accel/cpu_engine.ts",
  "lib/rc/train.ts -> lib/accel/cpu_trainer.ts",
  "lib/rc/train.ts -> lib/accel/gpu_fit.ts",
];

Deno.test("lib/rc imports from lib/accel no more than the arrows left to remove", async () => {
  const arrows: string[] = [];
  for await (const file of libFiles("lib/rc")) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/(?:import|export)[^;]*?from\s+"(\.[^"]+)"/g)) {
      const target = new URL(m[1], `file:///${file}`).pathname.slice(1);
      if (target.startsWith("lib/accel/")) arrows.push(`${file} -> ${target}`);
    }
  }
  const added = arrows.filter((a) => !RC_TO_ACCEL_LEFT.includes(a));
  assert.deepEqual(added, [], "new imports from lib/rc into lib/accel");
});
