/**
 * `deno task report [--out DIR]`: re-renders `DIR/index.html` and `DIR/summary.json` from the run
 * files under `DIR/runs` (default `reports`). No training.
 * @module
 */

import { parseArgs } from "node:util";
import { writeReport } from "../lib/report/write.ts";

export { writeReport };

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: "reports" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("Usage: deno task report [--out DIR]   (reads DIR/runs, writes DIR/index.html)");
    Deno.exit(0);
  }
  const out = values.out!.replace(/\/+$/, "") || ".";
  try {
    const written = await writeReport(out);
    console.log(written.html);
    console.log(written.summary);
  } catch (e) {
    console.error(`report: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
