/**
 * The pipeline's direction: a module imports only from modules before it
 * (data -> encode -> models -> rc -> accel -> results -> backend -> experiments -> report).
 */
import assert from "node:assert/strict";

const STAGES: [RegExp, number][] = [
  [/^lib\/random\.ts$/, 0],
  [/^lib\/ops\//, 0], // fused ops inside tfjs's autodiff, beneath everything that computes
  [/^lib\/data\//, 1],
  [/^lib\/encode\//, 2],
  [/^lib\/models\//, 3],
  [/^lib\/rc\//, 4],
  // The optional accelerators: they register with rc's chooser (lib/rc/accelerators.ts); rc
  // imports none of them.
  [/^lib\/accel\//, 5],
  [/^lib\/results(\.ts$|\/)/, 6],
  [/^lib\/backend\.ts$/, 7],
  [/^lib\/experiment(s\/|\.ts$)/, 8],
  [/^lib\/report\//, 9],
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
    // `from "..."`, side-effect imports (`import "..."`) and dynamic ones (`import("...")`).
    const imports = /(?:import|export)[^;]*?from\s+"(\.[^"]+)"|import\s*\(?\s*"(\.[^"]+)"/g;
    for (const m of text.matchAll(imports)) {
      const target = new URL(m[1] ?? m[2], `file:///${file}`).pathname.slice(1);
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
 * What each lib module loads when it runs: the lib modules its static, side-effect and dynamic
 * imports (and re-exports) name by a relative specifier. Type-only imports are erased before
 * anything runs and make no edge; comment lines are skipped (a doc example imports its own module).
 */
async function runtimeImports(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for await (const file of libFiles()) {
    const code = (await Deno.readTextFile(file)).split("\n")
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join("\n");
    const found = [
      ...code.matchAll(/^(?:import|export)(?!\s+type\b)[^;=(]*?\bfrom\s+"(\.[^"]+)"/gm),
      ...code.matchAll(/^import\s+"(\.[^"]+)"/gm),
      ...code.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g),
    ];
    graph.set(file, found.map((m) => new URL(m[1], `file:///${file}`).pathname.slice(1)));
  }
  return graph;
}

/** Every cycle a depth-first walk of `graph` closes, each as its path back to its start. */
function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (module: string) => {
    state.set(module, "open");
    path.push(module);
    for (const next of graph.get(module) ?? []) {
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    state.set(module, "done");
  };
  for (const module of [...graph.keys()].sort()) if (!state.has(module)) visit(module);
  return cycles;
}

Deno.test("lib modules import one another without cycles (static and dynamic imports)", async () => {
  // The finder finds a planted cycle, and the scan reads dynamic imports (a declaration loads
  // its run code with one).
  assert.deepEqual(
    importCycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]])),
    [["a", "b", "c", "a"]],
  );
  const graph = await runtimeImports();
  assert.ok(graph.get("lib/experiments/mnist.ts")?.includes("lib/experiments/_mnist_run.ts"));
  assert.deepEqual(importCycles(graph).map((cycle) => cycle.join(" -> ")), []);
});
