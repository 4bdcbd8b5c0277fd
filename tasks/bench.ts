/**
 * `deno task bench [--out DIR]`: runs `deno bench --json`, saves it as `OUT/bench/latest.json`
 * (the report shows it) and prints the human-readable table too.
 * @module
 */
import { parseCli, runCli } from "./_cli.ts";

const CLI = {
  task: "bench",
  usage:
    "usage: deno task bench [--out DIR]   (deno bench --json, saved as DIR/bench/latest.json; " +
    "DIR defaults to reports)",
  options: { out: { type: "string", default: "reports" } },
} as const;

/** The task; `args` as on the command line. Throws a UsageError for a bad command line. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(CLI, args);
  if (!parsed) return 0;
  const out = `${parsed.values.out}/bench`;
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
    return result.code || 1;
  }
  await Deno.writeTextFile(`${out}/latest.json.tmp`, text);
  await Deno.rename(`${out}/latest.json.tmp`, `${out}/latest.json`);
  const benches = JSON.parse(text) as {
    benches: { name: string; results: { ok?: { avg: number } }[] }[];
  };
  for (const b of benches.benches) {
    const avg = b.results[0]?.ok?.avg;
    console.log(`${b.name}: ${avg === undefined ? "failed" : `${(avg / 1e6).toFixed(1)} ms`}`);
  }
  console.error(`saved ${out}/latest.json; run 'deno task report' to show it in the report`);
  return 0;
}

if (import.meta.main) await runCli(CLI, main);
