/**
 * The page's first screen besides the headline: what the page is (machine, backend, profile,
 * revision, the deviations that follow) and what to beware of.
 * @module
 */

import type { RunRecord } from "../results.ts";
import { esc, gitShort, NA, slug } from "./format.ts";
import { deviationHtml } from "./elements.ts";
import type { Page } from "./page.ts";
import {
  belowProtocol,
  declaredDeviations,
  machineOf,
  ranOnSoftwareAdapter,
  runDeviations,
} from "./runs.ts";

/** Distinct values in first-seen order, each with how many records have it. */
function tally(values: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m];
}

const listed = (t: [string, number][], total: number) =>
  t.map(([v, n]) => (t.length > 1 || n !== total ? `${v} (${n} of ${total} runs)` : v)).join("; ");

/**
 * What the page is: machine, backend, profile, revision and the deviations that follow, and a
 * short title of the same.
 */
export function about(records: RunRecord[], page: Page) {
  const n = records.length;
  const machine = listed(tally(records.map(machineOf)), n) || "no runs";
  const backend = listed(
    tally(
      records.map((r) =>
        `${r.environment?.backend ?? NA}${
          r.environment?.engine ? ` (${r.environment.engine})` : ""
        }`
      ),
    ),
    n,
  );
  const profile = listed(
    tally(
      records.map((r) =>
        `${r.profile}${
          belowProtocol(r)
            ? " (below the paper's protocol)"
            : r.profile === "paper"
            ? ""
            : " (the paper's protocol)"
        }`
      ),
    ),
    n,
  );
  const git = listed(tally(records.map((r) => gitShort(r.environment?.gitRevision))), n);
  const times = records.map((r) => r.finishedAt ?? "").filter(Boolean).sort();
  const minute = (t: string) => t.replace("T", " ").slice(0, 16);
  const finished = times.length
    ? minute(times[0]) === minute(times.at(-1)!)
      ? minute(times[0])
      : `${minute(times[0])} to ${minute(times.at(-1)!)}`
    : "";
  // Deviations of every run in full; the rest counted per experiment, with links to them.
  const runDevs = tally(records.flatMap(runDeviations));
  const common = runDevs.filter(([, k]) => k === n).map(([d]) => d);
  const ran = [...new Set(records.map((r) => r.experiment))];
  const perExperiment = ran.map((id) => {
    const declared = declaredDeviations(page.info(id)).length;
    const own = new Set(
      records.filter((r) => r.experiment === id).flatMap(runDeviations).filter((d) =>
        !common.includes(d)
      ),
    ).size;
    const parts = [
      ...(declared ? [`${declared} declared for all its runs`] : []),
      ...(own ? [`${own} more of single runs (on their cards)`] : []),
    ];
    return parts.length
      ? `<a href="#${declared ? `declared-${slug(id)}` : `exp-${slug(id)}`}">${esc(id)}</a>: ${
        parts.join("; ")
      }`
      : "";
  }).filter(Boolean);
  const devItems = [
    ...common.map((d) => `${deviationHtml(d)} <small>(every run)</small>`),
    ...perExperiment,
  ];
  const short = tally(records.map((r) => machineOf(r).split(",")[0]))[0]?.[0] ?? "no runs";
  const backends = [...new Set(records.map((r) => r.environment?.backend ?? NA))].join(", ");
  const profiles = [...new Set(records.map((r) => r.profile))].join(", ");
  const html = `<dl class="about">
<div><dt>Machine</dt><dd>${esc(machine)}</dd></div>
<div><dt>Backend</dt><dd>${esc(backend || NA)}</dd></div>
<div><dt>Profile</dt><dd>${esc(profile || NA)}</dd></div>
<div><dt>Git revision</dt><dd><code>${esc(git || NA)}</code></dd></div>
<div><dt>Runs finished (UTC)</dt><dd>${esc(finished || NA)}</dd></div>
<div class="wide"><dt>Deviations from the paper that follow</dt><dd>${
    devItems.length ? `<ul>${devItems.map((d) => `<li>${d}</li>`).join("")}</ul>` : "none recorded"
  }</dd></div>
</dl>`;
  return {
    html,
    title: records.length ? `${short}, ${backends}, profile ${profiles}` : "no runs yet",
  };
}

/**
 * Warnings across the page's first screen: failed runs, run files the current code would not reuse
 * (`outdated`, keyed `experiment/run`, each with why), reduced profiles, software adapters.
 */
export function alertsHtml(
  records: RunRecord[],
  outdated: ReadonlyMap<string, string> = new Map(),
): string {
  const software = records.filter(ranOnSoftwareAdapter);
  const below = records.filter(belowProtocol);
  const failed = records.filter((r) => r.status === "failed");
  const alerts = [
    failed.length
      ? `${failed.length} run(s) failed: ${
        failed.map((r) => `${r.experiment}/${r.run}`).join(", ")
      }.`
      : "",
    outdated.size
      ? `${outdated.size} run file(s) are not what the current code would make ` +
        "(`deno task reproduce` reruns each run still declared); their numbers stand here until " +
        "then: " +
        [...outdated].map(([run, why]) => `${run} (${why})`).join("; ") + "."
      : "",
    below.length
      ? `${below.length} of ${records.length} run(s) use a profile below the paper's protocol (smoke or default); their numbers are labelled.`
      : "",
    software.length
      ? `${software.length} run(s) ran on a software WebGPU adapter: timings not representative of a GPU.`
      : "",
  ].filter(Boolean);
  return alerts.length
    ? `<div class="alerts"><ul>${alerts.map((a) => `<li>${esc(a)}</li>`).join("")}</ul></div>`
    : "";
}
