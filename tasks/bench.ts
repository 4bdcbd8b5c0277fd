/**
 * `deno task bench [--out DIR]`: runs `deno bench --json`, saves it as `OUT/bench/latest.json`
 * (the report shows it) and prints the human-readable table too.
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { out: { type: "string", default: "reports" } },
});
const out = `${values.out}/bench`;
await Deno.mkdir(out, { recursive: true });
console.error("deno bench --json: this takes a few minutes on 2 CPU cores");
const result = await new Deno.Command(Deno.execPath(), {
  args: ["bench", "-A", "--json", "bench/"],
  stdout: "piped",
  stderr: "inherit",
}).output();
const text = new TextDecoder().decode(result.stdout);
if (!result.success) {
  console.error(text.slice(-4000));
  console.error("deno bench failed; nothing saved.");
  Deno.exit(result.code || 1);
}
await Deno.writeTextFile(`${out}/latest.json.tmp`, text);
await Deno.rename(`${out}/latest.json.tmp`, `${out}/latest.json`);
const parsed = JSON.parse(text) as {
  benches: { name: string; results: { ok?: { avg: number } }[] }[];
};
for (const b of parsed.benches) {
  const avg = b.results[0]?.ok?.avg;
  console.log(`${b.name}: ${avg === undefined ? "failed" : `${(avg / 1e6).toFixed(1)} ms`}`);
}
console.error(`saved ${out}/latest.json; run 'deno task report' to show it in the report`);
