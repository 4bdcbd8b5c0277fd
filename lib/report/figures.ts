/**
 * The charts of a section: figures the runs recorded (the paper's panels, declared per
 * experiment) and charts the report draws from every run's curves.
 * @module
 */

import type { FigureView } from "../experiments/declaration.ts";
import type { ExperimentId, FigureSpec, RunRecord } from "../results.ts";
import {
  accuracyCurveChart,
  bandedRuns,
  figureChart,
  hasSpikeTimePercentiles,
  sharedScale,
  spikeTimeCurveChart,
  tradeoffChart,
} from "./charts.ts";
import { compareFigureLabels, esc } from "./format.ts";
import type { Page } from "./page.ts";
import { sweepReading } from "./reading.ts";
import { type ExperimentInfo, figureKey, homeSection, type ReportSection } from "./sections.ts";
import { isFirstSeed } from "./select.ts";

/** The declared view of a recorded figure, if any. */
function viewOf(f: FigureSpec, info?: ExperimentInfo): FigureView | undefined {
  return info?.figureViews?.find((v) =>
    v.paperFigure === f.paperFigure && (!v.titleIncludes || f.title.includes(v.titleIncludes))
  );
}

/**
 * The figures the runs recorded that this section shows (its figure keys; at an experiment's home
 * section also those no section claims), one seed per configuration, charts of the same kind and
 * axes on one scale.
 */
export function recordedFigures(
  section: ReportSection,
  experiment: ExperimentId,
  runs: RunRecord[],
  page: Page,
): string {
  const info = page.info(experiment);
  const keysHere = new Set(section.figureKeys);
  const allKeys = new Set(
    page.sections.filter((s) => s.experiments.includes(experiment)).flatMap((s) => s.figureKeys),
  );
  const isHome = homeSection(page.sections, experiment).id === section.id;
  const shows = (f: FigureSpec) =>
    keysHere.has(figureKey(f.paperFigure)) || (isHome && !allKeys.has(figureKey(f.paperFigure)));
  // One seed's figures per configuration: the other seeds' are the same charts of another draw,
  // and their numbers are in the cards (mean ± sd) and the run files.
  const drawnRuns = runs.filter((r) => isFirstSeed(r, runs));
  const skipped = runs.filter((r) => !isFirstSeed(r, runs) && (r.figures ?? []).some(shows));
  const figs = drawnRuns.flatMap((r) => (r.figures ?? []).map((f) => ({ r, f })))
    .filter(({ f }) => shows(f))
    .sort((a, b) =>
      compareFigureLabels(a.f.paperFigure, b.f.paperFigure) || (a.r.run < b.r.run ? -1 : 1)
    );
  if (figs.length === 0) return "";
  // Charts of the same kind and axes are compared side by side: one scale, RC before EOS.
  const groupKey = (f: FigureSpec) => `${f.kind}|${f.xLabel}|${f.yLabel}`;
  const groups = new Map<string, typeof figs>();
  for (const x of figs) groups.set(groupKey(x.f), [...(groups.get(groupKey(x.f)) ?? []), x]);
  const ordered = [...groups.values()].flatMap((g) =>
    [...g].sort((a, b) => (a.r.method === b.r.method ? 0 : a.r.method === "rc" ? -1 : 1))
  );
  const scales = new Map([...groups].map(([k, g]) => [k, sharedScale(g.map((x) => x.f))]));
  const note = skipped.length
    ? `<p class="note">Figures of the first seed of each configuration; those of ${
      skipped.map((r) => `<code>${esc(r.run)}</code>`).join(", ")
    } are in their run files (linked from their cards).</p>`
    : "";
  return `${note}<div class="charts">${
    ordered.map(({ r, f }) => {
      const view = viewOf(f, info);
      const panel = view?.panel?.[r.method] ?? f.paperFigure;
      const caption = view?.caption?.[r.method] ?? f.caption;
      // The words of the caption are the paper's; what this run's numbers do is computed here.
      const here = sweepReading(f);
      const shared = (groups.get(groupKey(f))?.length ?? 0) > 1;
      return `<figure>${
        page.charts.canvas(
          figureChart(f, scales.get(groupKey(f))),
          `Fig. ${panel}: ${f.title}`,
          f.kind === "heatmap" && f.inputs !== undefined,
        )
      }<figcaption><strong>Fig. ${esc(panel)}</strong>${
        view?.differs ? ` <em>(${esc(view.differs)})</em>` : ""
      } — ${esc(f.title)} <small>(${r.method.toUpperCase()}-trained run <code>${esc(r.run)}</code>${
        shared ? "; same scales as the charts beside it" : ""
      })</small><br>${esc(caption)}${
        here ? `<br><span class="here">${esc(here)}</span>` : ""
      }</figcaption></figure>`;
    }).join("")
  }</div>`;
}

/** "Stands for" text of a report-made chart: the declared panel, else that it is none. */
const standsFor = (is: string | undefined) =>
  is ? `<strong>${esc(is)}</strong>` : "<strong>Not a paper panel</strong>";

/**
 * The charts the report draws from the runs' own curves, where the section asks for them:
 * accuracy and first-spike step through training, and accuracy against speed over θ.
 */
export function curveCharts(
  section: ReportSection,
  experiment: ExperimentId,
  runs: RunRecord[],
  page: Page,
): string {
  const { charts } = page;
  const info = page.info(experiment);
  const drawn: string[] = [];
  if (section.parts.curves && runs.some((r) => (r.curves ?? []).length > 0)) {
    const spikeTitle = hasSpikeTimePercentiles(runs)
      ? "first-spike step during training (percentiles)"
      : "mean first-spike step during training";
    drawn.push(
      `<figure>${
        charts.canvas(
          accuracyCurveChart(runs, `${experiment}: accuracy during training`),
          `${experiment}: accuracy during training`,
        )
      }
<figcaption>${standsFor(info?.accuracyCurveIs)} — ${
        esc(experiment)
      }: validation accuracy of every run through training, RC-inference at the training θ (thick)
and read at the last step (thin, pale); RC runs in blues, EOS runs in reds, the seeds of a
configuration in one colour.</figcaption></figure>`,
      `<figure>${
        charts.canvas(
          spikeTimeCurveChart(runs, `${experiment}: ${spikeTitle}`),
          `${experiment}: ${spikeTitle}`,
        )
      }
<figcaption>${standsFor(info?.spikeTimeCurveIs)} — ${esc(experiment)}: ${
        hasSpikeTimePercentiles(runs)
          ? `the distribution of the validation examples' first-spike steps through training: the
median (line), 25-75 % (darker band) and 10-90 % (lighter band) of the first run of each method
(RC blue, EOS red)${
            runs.some((r) => hasSpikeTimePercentiles([r]) && !bandedRuns(runs).has(r))
              ? "; other runs' medians thinner"
              : ""
          }${
            runs.some((r) => !hasSpikeTimePercentiles([r]))
              ? "; runs recorded without percentiles, their mean"
              : ""
          }.`
          : "mean first-spike step of every run on the validation set through training."
      }</figcaption></figure>`,
    );
  }
  if (section.parts.tradeoff && runs.some((r) => (r.metrics?.thresholdCurve ?? []).length > 0)) {
    drawn.push(
      `<figure>${
        charts.canvas(
          tradeoffChart(runs, `${experiment}: accuracy vs speed over θ`),
          `${experiment}: accuracy vs speed over θ`,
        )
      }
<figcaption>${standsFor(info?.tradeoffIs)} — ${
        esc(experiment)
      }: test accuracy against mean first-spike step as the inference threshold θ varies, one
line per run; points are labelled with their θ (a label that would overlap another is left out).</figcaption></figure>`,
    );
  }
  return drawn.length ? `<div class="charts">${drawn.join("")}</div>` : "";
}
