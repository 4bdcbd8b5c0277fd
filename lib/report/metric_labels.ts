/**
 * The labels of a run's extra metrics: declared by its experiment, the harness's own diagnostics
 * (shown with provenance, not as results), or the key in words.
 * @module
 */

import type { MetricLabel } from "../experiments/declaration.ts";
import { extraValue, humanise, inMetricUnit } from "./format.ts";
import type { ExperimentInfo } from "./sections.ts";

/** Numbers the harness records about itself (memory), shown with provenance, not as results. */
export const DIAGNOSTICS: Record<string, MetricLabel> = {
  liveTensorsFirstValidation: { label: "live tensors, first validation", unit: "count" },
  liveTensorsLastValidation: { label: "live tensors, last validation", unit: "count" },
  peakRssMiB: { label: "peak resident memory (MiB)", unit: "number" },
};

/** The label of an extra metric: declared (`*` matches anything), a diagnostic, or its words. */
export function metricLabel(key: string, info?: ExperimentInfo): MetricLabel & { key: string } {
  for (const [pattern, label] of Object.entries(info?.metricLabels ?? {})) {
    const re = new RegExp(
      `^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`,
    );
    if (re.test(key)) return { key, ...label };
  }
  if (DIAGNOSTICS[key]) return { key, ...DIAGNOSTICS[key], show: "provenance" };
  return { key, label: humanise(key), unit: "number" };
}

/** An extra metric's value in its label's unit; an undeclared one as `extraValue` writes it. */
export function metricText(key: string, v: number, label: MetricLabel): string {
  return label.unit === "number" && label.label === humanise(key)
    ? extraValue(key, v)
    : inMetricUnit(v, label.unit);
}
