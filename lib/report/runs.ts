/**
 * What the page says about a run beside its numbers, as data: its deviations from the paper (its
 * own, a software adapter's, the experiment's declared ones), its profile against the paper's
 * protocol, the machine it ran on and where its file is.
 * @module
 */

import type { RunRecord } from "../results.ts";
import type { ExperimentInfo } from "./sections.ts";

/** Why a run file is outdated when its run is no longer declared (reproduce does not rerun it). */
export const NO_LONGER_DECLARED = "no run of this name is declared at its profile any more";

/** The deviation added to every run that ran on a software WebGPU adapter. */
export const SOFTWARE_ADAPTER_DEVIATION = "software adapter: timings not representative of a GPU";

/** Whether the run computed on a software WebGPU adapter (not merely had one on the machine). */
export function ranOnSoftwareAdapter(r: RunRecord): boolean {
  return r.environment?.backend === "webgpu" && Boolean(r.environment.adapter?.isFallbackAdapter);
}

/**
 * Every deviation of a run: its own, plus one for a software adapter unless its own already say
 * so (records since the adapter's deviation was recorded do).
 */
export function runDeviations(r: RunRecord): string[] {
  const own = r.deviations ?? [];
  const said = own.some((d) => /^software (WebGPU )?adapter\b/.test(d));
  return ranOnSoftwareAdapter(r) && r.environment.adapter && !said
    ? [
      `${SOFTWARE_ADAPTER_DEVIATION} (${r.environment.adapter.description || "unnamed adapter"})`,
      ...own,
    ]
    : own;
}

/** The deviations an experiment declares for all its runs, its model selection's included. */
export function declaredDeviations(info: ExperimentInfo | undefined): string[] {
  if (!info) return [];
  const sel = info.selection?.deviation;
  return [...(sel ? [`model selection: ${sel}`] : []), ...(info.deviations ?? [])];
}

/** Where a run's file is, relative to the report: `runs/<experiment>/<run>.json`. */
export function runFileHref(r: Pick<RunRecord, "experiment" | "run">): string {
  return `runs/${encodeURIComponent(r.experiment)}/${encodeURIComponent(r.run)}.json`;
}

/** The machine a run computed on, in words: the GPU adapter it used, else the CPU. */
export function machineOf(r: RunRecord): string {
  const e = r.environment;
  if (!e) return "unknown machine";
  const cpus = `${e.cpuCount} CPU core${e.cpuCount === 1 ? "" : "s"}`;
  if (e.backend === "webgpu" && e.adapter) {
    return `${e.adapter.description || "unnamed GPU adapter"}${
      e.adapter.isFallbackAdapter ? " (software adapter)" : ""
    }, ${cpus}`;
  }
  return `${cpus} (${e.os})`;
}

/** A run below the paper's protocol: a reduced profile that listed its reductions as deviations. */
export function belowProtocol(r: RunRecord): boolean {
  return r.profile !== "paper" &&
    (r.deviations ?? []).some((d) => d.startsWith(`profile "${r.profile}"`));
}
