/**
 * Finds and reads Chart.js's UMD build, to inline into the report (the report makes no requests).
 *
 * Chart.js's `exports` map hides `dist/`, so the package's main entry is resolved and
 * `chart.umd.js` read from beside it; failing that, `node_modules/chart.js/dist/` under the
 * repository root or the working directory.
 * @module
 */

/** Where the UMD build may be, most specific first. */
export function chartJsCandidates(): string[] {
  const candidates: string[] = [];
  try {
    const main = import.meta.resolve("chart.js");
    if (main.startsWith("file:")) candidates.push(new URL("./chart.umd.js", main).href);
  } catch {
    // Not resolvable (no import map entry or no node_modules): try the fallbacks.
  }
  candidates.push(new URL("../../node_modules/chart.js/dist/chart.umd.js", import.meta.url).href);
  const cwd = Deno.cwd().replace(/\/$/, "");
  candidates.push(new URL(`file://${cwd}/node_modules/chart.js/dist/chart.umd.js`).href);
  return [...new Set(candidates)];
}

/**
 * The text of Chart.js's `dist/chart.umd.js`.
 * @throws when no candidate exists, naming where it looked and how to install it.
 */
export async function loadChartJs(): Promise<string> {
  const tried: string[] = [];
  for (const href of chartJsCandidates()) {
    try {
      return await Deno.readTextFile(new URL(href));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      tried.push(href);
    }
  }
  throw new Error(
    `Cannot find Chart.js's dist/chart.umd.js to inline into the report: looked at ` +
      `${tried.join(", ")}. Run \`deno install\` in the repository root to fetch npm:chart.js.`,
  );
}

/** The version in Chart.js's banner comment ("Chart.js v4.5.1"), or "unknown". */
export function chartJsVersion(text: string): string {
  return /Chart\.js v(\d+\.\d+\.\d+)/.exec(text.slice(0, 500))?.[1] ?? "unknown";
}
