import assert from "node:assert/strict";

Deno.test("lib/data and lib/encode import no tfjs and nothing later in the pipeline", async () => {
  for (const dir of ["data", "encode"]) {
    const root = new URL(`../../lib/${dir}/`, import.meta.url);
    for await (const e of Deno.readDir(root)) {
      if (!e.name.endsWith(".ts")) continue;
      const text = await Deno.readTextFile(new URL(e.name, root));
      const specs = [...text.matchAll(/(?:import|export)[^;]*?from\s+"([^"]+)"/g)].map((m) => m[1]);
      for (const s of specs) {
        assert.ok(
          !s.includes("tensorflow") && !s.includes("tfjs"),
          `lib/${dir}/${e.name} imports ${s}`,
        );
        assert.ok(
          !/\.\.\/(models|rc|report|metrics|results)/.test(s),
          `lib/${dir}/${e.name} imports ${s}`,
        );
        if (dir === "data") assert.ok(!s.includes("../encode/"), `lib/data/${e.name} imports ${s}`);
      }
    }
  }
});
