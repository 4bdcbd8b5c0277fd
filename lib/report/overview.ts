/**
 * The page's overview: one row per declared experiment, linked to its runs or its section.
 * @module
 */

import type { RunRecord } from "../results.ts";
import { esc, slug } from "./format.ts";
import { num, type Row, runAnchor, stackTable, statusBadge } from "./elements.ts";
import type { Page } from "./page.ts";
import { commandHtml } from "./paper_section.ts";
import { homeSection } from "./sections.ts";
import { seedsOf } from "./select.ts";
import { experimentStatus } from "./summary.ts";

/** Seeds per configuration of an experiment's runs, e.g. "1" or "1–2". */
function seedRange(runs: RunRecord[]): string {
  const counts = runs.map((r) => seedsOf(r, runs).length);
  if (counts.length === 0) return "";
  const lo = Math.min(...counts), hi = Math.max(...counts);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** The overview table: per experiment its paper figures, status, runs, seeds, profiles and checks met. */
export function overview(records: RunRecord[], page: Page): string {
  const rows: Row[] = page.experiments.map(({ id: e, pending }) => {
    const runs = records.filter((r) => r.experiment === e);
    const checks = runs.flatMap((r) => r.target?.checks ?? []);
    const home = homeSection(page.sections, e);
    return {
      cells: [
        `<a href="#${runs.length ? `exp-${slug(e)}` : esc(home.id)}">${esc(e)}</a>`,
        esc(
          page.sections.filter((s) => s.experiments.includes(e)).map((s) => s.paperFigures).join(
            "; ",
          ),
        ),
        statusBadge(experimentStatus(runs, pending)),
        runs.length
          ? runs.map((r) => `<a href="#${runAnchor(r)}">${esc(r.run)}</a>`).join(", ")
          : commandHtml({ id: e, pending }, page),
        runs.length ? num(seedRange(runs)) : "",
        esc([...new Set(runs.map((r) => r.profile))].join(", ")),
        runs.length ? num(`${checks.filter((c) => c.met).length} / ${checks.length}`) : "",
      ],
    };
  });
  return stackTable(
    ["Experiment", "Paper", "Status", "Runs", "Seeds per config", "Profile", "Checks met"],
    rows,
    "overview",
  );
}
