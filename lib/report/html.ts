/**
 * The HTML report: one self-contained file (Chart.js inlined, no requests), a pure function of
 * run records. Sections follow the paper's order (`sections.ts`).
 * @module
 */

import { canonicalJson, type ExperimentId, type RunRecord } from "../results.ts";
import { type BenchSummary, formatNs } from "./bench.ts";
import {
  accuracyCurveChart,
  type ChartConfig,
  figureChart,
  spikeTimeCurveChart,
  tradeoffChart,
} from "./charts.ts";
import { chartJsVersion } from "./chartjs.ts";
import {
  compareFigureLabels,
  count,
  esc,
  extraValue,
  flops,
  inUnit,
  isNum,
  NA,
  pct,
  ratio,
  scriptJson,
  seconds,
  slug,
  steps,
  tolerance,
} from "./format.ts";
import { type Comparison, computeSavings, type PhaseSavings, type SavingsRow } from "./savings.ts";
import { comparisonTableHtml } from "./table.ts";
import {
  commandFor,
  type ExperimentInfo,
  figureKey,
  homeSection,
  type ReportSection,
  reportSections,
} from "./sections.ts";
import { experimentStatus } from "./summary.ts";

/** Inputs of the report besides the run records. */
export interface RenderOptions {
  /** Latest benchmark results, if any. */
  bench?: BenchSummary | null;
  /** When the report was generated (ISO 8601); shown, never computed here. */
  generatedAt: string;
  /** Text of Chart.js's `dist/chart.umd.js`, inlined into the page. */
  chartJs: string;
  /** The experiments' declarations (report-facing data), in the paper's order. */
  experiments: readonly ExperimentInfo[];
}

/** What every part of the page reads: sections, declarations and the charts drawn so far. */
interface Page {
  sections: ReportSection[];
  experiments: readonly ExperimentInfo[];
  info(id: ExperimentId): ExperimentInfo | undefined;
  charts: Charts;
}

/** The deviation added to every run that ran on a software WebGPU adapter. */
export const SOFTWARE_ADAPTER_DEVIATION = "software adapter: timings not representative of a GPU";

/** Whether the run computed on a software WebGPU adapter (not merely had one on the machine). */
export function ranOnSoftwareAdapter(r: RunRecord): boolean {
  return r.environment?.backend === "webgpu" && Boolean(r.environment.adapter?.isFallbackAdapter);
}

/** Every deviation of a run: its own, plus one for a software adapter. */
export function runDeviations(r: RunRecord): string[] {
  const own = r.deviations ?? [];
  return ranOnSoftwareAdapter(r) && r.environment.adapter
    ? [
      `${SOFTWARE_ADAPTER_DEVIATION} (${r.environment.adapter.description || "unnamed adapter"})`,
      ...own,
    ]
    : own;
}

/** Collects the charts of a page; each canvas refers to its config by index. */
class Charts {
  readonly configs: ChartConfig[] = [];
  canvas(config: ChartConfig, label: string, tall = false): string {
    const i = this.configs.push(config) - 1;
    return `<div class="chart${tall ? " tall" : ""}"><canvas data-chart="${i}" role="img" ` +
      `aria-label="${esc(label)}"></canvas></div>`;
  }
}

const badge = (text: string, kind: string, title = "") =>
  `<span class="badge ${esc(kind)}"${title ? ` title="${esc(title)}"` : ""}>${esc(text)}</span>`;
const statusBadge = (s: string) => badge(s, `status-${slug(s)}`);
/** A run below the paper's protocol: a reduced profile that listed its reductions as deviations. */
const belowProtocol = (r: RunRecord) =>
  r.profile !== "paper" && (r.deviations ?? []).some((d) => d.startsWith(`profile "${r.profile}"`));
const profileBadge = (r: RunRecord) =>
  r.profile === "paper"
    ? badge("profile: paper", "profile-paper")
    : belowProtocol(r)
    ? badge(`profile: ${r.profile} — below the paper's protocol`, "profile-below")
    : badge(`profile: ${r.profile} — the paper's protocol`, "profile-paper");
const num = (text: string) => `<span class="num">${esc(text)}</span>`;
const table = (head: string[] | null, rows: string[], cls = "") =>
  `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ""}>${
    head ? `<thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead>` : ""
  }<tbody>${rows.join("")}</tbody></table></div>`;
const runAnchor = (r: RunRecord) => `run-${slug(r.experiment)}-${slug(r.run)}`;

function dataOf(runs: RunRecord[]): string {
  return [...new Set(runs.map((r) => r.data?.name ?? "unknown"))].join(", ");
}

/** Why a check's tolerance: from the record, else from the experiment's declared target. */
function checkWhy(r: RunRecord, c: { name: string; why?: string }, info?: ExperimentInfo) {
  return c.why ?? info?.targets?.[r.method]?.checks.find((t) => t.name === c.name)?.why;
}

function runCard(r: RunRecord, info?: ExperimentInfo): string {
  const m = r.metrics ?? ({} as Partial<RunRecord["metrics"]>);
  const metric = (label: string, value: string, hint = "") =>
    `<div><dt>${esc(label)}</dt><dd>${num(value)}${
      hint ? ` <small>${esc(hint)}</small>` : ""
    }</dd></div>`;
  const extras = Object.entries(m.extra ?? {}).map(([k, v]) => metric(k, extraValue(k, v)));
  const checks = r.target?.checks ?? [];
  const checkRows = checks.map((c) => {
    const why = checkWhy(r, c, info);
    return `<tr><td>${
      c.met ? badge("met", "status-met") : badge("missed", "status-missed")
    }</td><td>${esc(c.name)}${why ? `<br><small>${esc(why)}</small>` : ""}</td><td>${
      num(inUnit(c.paper, c.unit))
    }</td><td>${num(inUnit(c.measured, c.unit))}</td><td>${
      num(tolerance(c.tolerance, c.unit))
    }</td></tr>`;
  });
  const devs = runDeviations(r);
  return `<article class="run" id="${runAnchor(r)}">
<h4>${esc(r.title ?? r.run)} <code>${esc(r.run)}</code></h4>
<p class="badges">${statusBadge(r.status)} ${badge(r.method.toUpperCase(), `method-${r.method}`)} ${
    profileBadge(r)
  } ${badge(`data: ${r.data?.name ?? "unknown"}`, "data")}${
    r.overrides && Object.keys(r.overrides).length ? " " + badge("config overridden", "warn") : ""
  }${ranOnSoftwareAdapter(r) ? " " + badge("software adapter", "warn") : ""}</p>
${
    r.status === "failed"
      ? `<pre class="error">${esc(r.error ?? "failed without a message")}</pre>`
      : ""
  }
<dl class="metrics">
${
    metric(
      "test accuracy (RC-inference)",
      pct(m.testAccuracy),
      isNum(m.threshold) ? `θ = ${m.threshold}` : "",
    )
  }
${
    metric(
      "mean first-spike step",
      steps(m.meanSpikeTime),
      isNum(m.numSteps) ? `of ${m.numSteps}` : "",
    )
  }
${metric("fraction fired", pct(m.fractionFired))}
${metric("accuracy at last step (EOS)", pct(m.eosAccuracy))}
${extras.join("\n")}
</dl>
${r.target?.description ? `<p class="target">Paper: ${esc(r.target.description)}</p>` : ""}
${
    checks.length
      ? table(["", "Check", "Paper", "Ours", "Tolerance"], checkRows, "checks")
      : '<p class="muted">No target checks declared.</p>'
  }
<div class="deviations${
    devs.length ? "" : " none"
  }"><strong>Deviations from the paper (${devs.length})${devs.length ? ":" : ""}</strong>${
    devs.length ? `<ul>${devs.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>` : " none recorded."
  }</div>
</article>`;
}

function comparisonCell(c: Comparison, fmt: (x: number | null) => string): string {
  const cls = isNum(c.saving) ? (c.saving >= 0 ? "good" : "bad") : "na";
  return `<td><span class="saving ${cls}">${esc(pct(c.saving))}</span><br><small>RC ${
    esc(fmt(c.rc))
  } · EOS ${esc(fmt(c.eos))}</small></td>`;
}

function phaseCells(p: PhaseSavings | null): string {
  if (!p) return `<td colspan="5" class="muted">${NA}</td>`;
  return comparisonCell(p.forwardSteps, count) + comparisonCell(p.backwardSteps, count) +
    comparisonCell(p.flops, flops) + comparisonCell(p.wallSeconds, seconds) +
    `<td>${num(ratio(p.realisedRatio))}<br><small>step saving ${esc(pct(p.stepSaving))}</small>${
      p.paired
        ? `<br><span class="paired" title="${esc(p.paired.what)}">paired: ${
          num(ratio(p.paired.realisedRatio))
        }</span><br><small>${esc(pct(p.paired.wallSaving))} wall / ${
          esc(pct(p.paired.stepSaving))
        } steps, ${p.paired.batches} batches</small>`
        : ""
    }</td>`;
}

function savingsTable(rows: SavingsRow[], withExperiment: boolean): string {
  if (rows.length === 0) return `<p class="muted">No RC run to compare.</p>`;
  const head = [
    ...(withExperiment ? ["Experiment"] : []),
    "RC run vs EOS",
    "Phase",
    "Forward example-steps",
    "Backward example-steps",
    "FLOPs",
    "Wall-clock",
    "Realised saving ratio",
  ];
  const body = rows.flatMap((s) => {
    const span = s.notes.length ? 3 : 2;
    const lead = (withExperiment
      ? `<td rowspan="${span}"><a href="#exp-${slug(s.experiment)}">${esc(s.experiment)}</a></td>`
      : "") +
      `<td rowspan="${span}" class="pair"><code>${esc(s.run)}</code> vs <code>${
        esc(s.baseline ?? NA)
      }</code><br><small>${esc(s.data)}</small></td>`;
    return [
      `<tr>${lead}<th scope="row">training</th>${phaseCells(s.train)}</tr>`,
      `<tr><th scope="row">inference</th>${phaseCells(s.inference)}</tr>`,
      ...(s.notes.length
        ? [`<tr><td colspan="6" class="notes"><ul>${
          s.notes.map((n) => `<li>${esc(n)}</li>`).join("")
        }</ul></td></tr>`]
        : []),
    ];
  });
  return table(head, body, "savings");
}

const SAVINGS_LEGEND = `<p class="legend">Saving = 1 − RC/EOS, per example seen (a positive
percentage means the RC run did less). Realised saving ratio = wall-clock saving ÷ step saving,
where the step saving counts backward example-steps in training and forward example-steps in
inference: 1.00 means the wall clock fell as much as the steps did. The whole-run ratio compares
two runs made at different times (a shared machine's speed drifts between them) and includes
training while the RC model still spiked late; "paired" times RC against EOS on the trained RC
model over the same batches, interleaved batch by batch, so drift cancels.</p>`;

function figuresFor(
  section: ReportSection,
  experiment: ExperimentId,
  runs: RunRecord[],
  page: Page,
): string {
  const keysHere = new Set(section.figureKeys);
  const allKeys = new Set(
    page.sections.filter((s) => s.experiments.includes(experiment)).flatMap((s) => s.figureKeys),
  );
  const isHome = homeSection(page.sections, experiment).id === section.id;
  const figs = runs.flatMap((r) => (r.figures ?? []).map((f) => ({ r, f })))
    .filter(({ f }) =>
      keysHere.has(figureKey(f.paperFigure)) || (isHome && !allKeys.has(figureKey(f.paperFigure)))
    )
    .sort((a, b) =>
      compareFigureLabels(a.f.paperFigure, b.f.paperFigure) || (a.r.run < b.r.run ? -1 : 1)
    );
  if (figs.length === 0) return "";
  return `<div class="charts">${
    figs.map(({ r, f }) =>
      `<figure>${
        page.charts.canvas(figureChart(f), `${f.paperFigure}: ${f.title}`)
      }<figcaption><strong>Fig. ${esc(f.paperFigure)}</strong> — ${
        esc(f.title)
      } <small>(run <code>${esc(r.run)}</code>, data ${
        esc(r.data?.name ?? "unknown")
      })</small><br>${esc(f.caption)}</figcaption></figure>`
    ).join("")
  }</div>`;
}

/** Where an experiment's command goes: the command, or why there is none yet. */
function commandHtml(e: Pick<ExperimentInfo, "id" | "pending">): string {
  const command = commandFor(e);
  return command
    ? `<code>${esc(command)}</code>`
    : `${esc(e.id)}: not built yet (${esc(e.pending ?? "")})`;
}

function experimentBlock(
  section: ReportSection,
  experiment: ExperimentId,
  all: RunRecord[],
  page: Page,
): string {
  const { charts } = page;
  const info = page.info(experiment);
  const runs = all.filter((r) => r.experiment === experiment);
  const home = homeSection(page.sections, experiment);
  const id = home.id === section.id ? ` id="exp-${slug(experiment)}"` : "";
  const heading = `<h3${id}>${esc(experiment)} ${
    statusBadge(experimentStatus(runs, info?.pending))
  }${runs.length ? ` <small>data: ${esc(dataOf(runs))}</small>` : ""}</h3>`;
  if (runs.length === 0) {
    const command = commandFor(info ?? { id: experiment });
    return `<div class="experiment">${heading}<p class="notrun">${
      command
        ? `Not run yet. Run it with\n<code>${esc(command)}</code>`
        : `Not built yet: ${esc(info?.pending ?? "")}.`
    }</p></div>`;
  }
  const parts: string[] = [heading];
  if (home.id !== section.id) {
    parts.push(
      `<p class="muted">Runs, checks and deviations: <a href="#exp-${slug(experiment)}">${
        esc(home.title)
      }</a>.
Data: ${esc(dataOf(runs))}; profiles: ${
        esc([...new Set(runs.map((r) => r.profile))].join(", "))
      }.</p>`,
    );
  }
  if (section.parts.runs) {
    const rcFirst = [...runs].sort((
      a,
      b,
    ) => (a.method === b.method ? 0 : a.method === "rc" ? -1 : 1));
    parts.push(`<div class="runs">${rcFirst.map((r) => runCard(r, info)).join("\n")}</div>`);
    const declared = info?.deviations ?? [];
    if (declared.length) {
      parts.push(
        `<div class="deviations"><strong>Declared deviations of ${
          esc(experiment)
        } (${declared.length}):</strong><ul>${
          declared.map((d) => `<li>${esc(d)}</li>`).join("")
        }</ul></div>`,
      );
    }
  }
  for (const table of info?.tables ?? []) {
    if (section.figureKeys.includes(figureKey(table.paperFigure))) {
      parts.push(comparisonTableHtml(table, runs));
    }
  }
  parts.push(figuresFor(section, experiment, runs, page));
  const drawn: string[] = [];
  if (section.parts.curves && runs.some((r) => (r.curves ?? []).length > 0)) {
    drawn.push(
      `<figure>${
        charts.canvas(
          accuracyCurveChart(runs, `${experiment}: accuracy during training`),
          "accuracy during training",
        )
      }
<figcaption>Validation accuracy of every run: RC-inference at the training θ (solid) and read at the
last step (dashed).</figcaption></figure>`,
      `<figure>${
        charts.canvas(
          spikeTimeCurveChart(runs, `${experiment}: mean first-spike step during training`),
          "mean spike time during training",
        )
      }
<figcaption>Mean first-spike step of every run on the validation set during training${
        info?.spikeTimeCurveIs ? ` (${esc(info.spikeTimeCurveIs)})` : ""
      }.</figcaption></figure>`,
    );
  }
  if (section.parts.tradeoff && runs.some((r) => (r.metrics?.thresholdCurve ?? []).length > 0)) {
    drawn.push(
      `<figure>${
        charts.canvas(
          tradeoffChart(runs, `${experiment}: accuracy vs speed over θ`),
          "threshold trade-off",
        )
      }
<figcaption>Test accuracy against mean first-spike step as the inference threshold θ varies, one
line per run (the paper's Fig. 5 style; hover a point for its θ).</figcaption></figure>`,
    );
  }
  if (drawn.length) parts.push(`<div class="charts">${drawn.join("")}</div>`);
  if (section.parts.savings) {
    const rows = computeSavings(all).filter((s) => s.experiment === experiment);
    if (rows.length) parts.push(`<h4>Compute: RC vs EOS</h4>${savingsTable(rows, false)}`);
  }
  return `<div class="experiment">${parts.join("\n")}</div>`;
}

function sectionHtml(
  section: ReportSection,
  n: number,
  records: RunRecord[],
  page: Page,
): string {
  const commands = section.experiments.map((e) => commandHtml(page.info(e) ?? { id: e })).join(
    " · ",
  );
  return `<section id="${esc(section.id)}" class="paper-section">
<h2><span class="secno">${n}</span> ${esc(section.title)} <small>${
    esc(section.paperFigures)
  }</small></h2>
<p class="paper-shows"><strong>Paper:</strong> ${esc(section.paperShows)}</p>
${section.note ? `<p class="note">${esc(section.note)}</p>` : ""}
<p class="command">Run: ${commands}</p>
${section.experiments.map((e) => experimentBlock(section, e, records, page)).join("\n")}
</section>`;
}

function overview(records: RunRecord[], page: Page): string {
  const rows = page.experiments.map(({ id: e, pending }) => {
    const runs = records.filter((r) => r.experiment === e);
    const checks = runs.flatMap((r) => r.target?.checks ?? []);
    const home = homeSection(page.sections, e);
    return `<tr><td><a href="#${runs.length ? `exp-${slug(e)}` : esc(home.id)}">${
      esc(e)
    }</a></td><td>${
      esc(
        page.sections.filter((s) => s.experiments.includes(e)).map((s) => s.paperFigures).join(
          "; ",
        ),
      )
    }</td><td>${statusBadge(experimentStatus(runs, pending))}</td><td>${
      runs.length ? esc(runs.map((r) => r.run).join(", ")) : commandHtml({ id: e, pending })
    }</td><td>${esc(runs.length ? dataOf(runs) : "")}</td><td>${
      esc([...new Set(runs.map((r) => r.profile))].join(", "))
    }</td><td>${
      runs.length ? num(`${checks.filter((c) => c.met).length} / ${checks.length}`) : ""
    }</td></tr>`;
  });
  return table(
    ["Experiment", "Paper", "Status", "Runs (or command)", "Data", "Profile", "Checks met"],
    rows,
    "overview",
  );
}

function provenance(records: RunRecord[]): string {
  if (records.length === 0) return `<p class="muted">No runs.</p>`;
  const rows = records.map((r) => {
    const env = r.environment;
    const a = env?.adapter;
    return `<tr><td><a href="#${runAnchor(r)}">${esc(r.experiment)}/${esc(r.run)}</a></td><td>${
      statusBadge(r.status)
    }</td><td>${esc(r.profile)}</td><td>${esc(env?.backend ?? NA)}<br><small>${
      esc(env?.backendReason ?? "")
    }</small></td><td>${
      a
        ? `${esc(a.description || "(no description)")}${
          a.wgpuBackend ? ` <small>(${esc(a.wgpuBackend)})</small>` : ""
        }${ranOnSoftwareAdapter(r) ? `<br>${badge(SOFTWARE_ADAPTER_DEVIATION, "warn")}` : ""}`
        : `<span class="muted">none</span>`
    }</td><td>${esc(env?.deno ?? NA)}</td><td>${esc(env?.tfjs ?? NA)}</td><td><code>${
      esc((env?.gitRevision ?? NA).slice(0, 12))
    }</code></td><td>${esc(r.data?.name ?? NA)}${
      r.data?.note ? `<br><small>${esc(r.data.note)}</small>` : ""
    }</td><td><code class="hash">${esc(r.data?.checksum ?? NA)}</code></td><td>${
      num(String(r.seed ?? NA))
    }</td><td><code>${esc(r.configHash)}</code></td><td><small>${esc(r.startedAt ?? "")} → ${
      esc(r.finishedAt ?? "")
    }</small></td></tr>`;
  });
  const details = records.map((r) =>
    `<details><summary>Config of <code>${esc(r.experiment)}/${
      esc(r.run)
    }</code> <small>(configHash ${esc(r.configHash)})</small></summary><pre>${
      esc(JSON.stringify(r.config ?? {}, null, 2))
    }</pre></details>`
  ).join("\n");
  return table(
    [
      "Run",
      "Status",
      "Profile",
      "Backend (why)",
      "Adapter",
      "Deno",
      "TensorFlow.js",
      "Git",
      "Data",
      "Checksum",
      "Seed",
      "configHash",
      "Ran",
    ],
    rows,
    "provenance",
  ) + `<div class="configs">${details}</div>`;
}

function manifest(records: RunRecord[], opts: RenderOptions): string {
  const groups = new Map<string, { env: RunRecord["environment"]; runs: string[] }>();
  for (const r of records) {
    const key = canonicalJson(r.environment ?? null);
    const g = groups.get(key) ?? { env: r.environment, runs: [] };
    g.runs.push(`${r.experiment}/${r.run}`);
    groups.set(key, g);
  }
  const envs = [...groups.values()].map((g, i) => {
    const e = g.env;
    const rows: [string, string][] = e
      ? [
        ["Deno / V8", `${e.deno} / ${e.v8}`],
        ["TensorFlow.js", e.tfjs],
        ["Backend", `${e.backend} — ${e.backendReason}`],
        [
          "Adapter",
          e.adapter
            ? `${e.adapter.description} (vendor ${e.adapter.vendor || "?"}, architecture ${
              e.adapter.architecture || "?"
            }, device ${e.adapter.device || "?"}, wgpu backend ${
              e.adapter.wgpuBackend ?? "default"
            })${e.adapter.isFallbackAdapter ? ` — ${SOFTWARE_ADAPTER_DEVIATION}` : ""}`
            : "none (no WebGPU adapter requested)",
        ],
        ...(e.engine ? [["Training and inference", e.engine] as [string, string]] : []),
        ...(e.matmul
          ? [[
            "wasm matmul",
            e.blas ? `${e.matmul}: ${e.blas.library} (${e.blas.threads} threads)` : e.matmul,
          ] as [string, string]]
          : []),
        ["OS / CPUs", `${e.os} / ${e.cpuCount}`],
        ["Git revision", e.gitRevision],
        ["TensorFlow.js flags", JSON.stringify(e.flags ?? {})],
      ]
      : [["Environment", "not recorded"]];
    return `<h3>Environment ${i + 1} <small>(${g.runs.length} run${
      g.runs.length === 1 ? "" : "s"
    })</small></h3>
${
      table(
        null,
        rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`),
        "kv",
      )
    }
<p class="muted">Runs: ${g.runs.map((r) => `<code>${esc(r)}</code>`).join(", ")}</p>`;
  });
  const report: [string, string][] = [
    ["Generated at", opts.generatedAt],
    ["Run records", String(records.length)],
    ["Chart.js (inlined)", chartJsVersion(opts.chartJs)],
    [
      "Benchmark machine",
      opts.bench ? `${opts.bench.runtime}, ${opts.bench.cpu}` : "no benchmark results",
    ],
  ];
  return envs.join("\n") +
    `<h3>This report</h3>${
      table(
        null,
        report.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`),
        "kv",
      )
    }`;
}

function benchSection(bench: BenchSummary | null | undefined): string {
  if (!bench) {
    return `<p class="muted">No benchmark results (<code>reports/bench/latest.json</code>). Run
<code>deno task bench</code>.</p>`;
  }
  const rows = bench.results.map((b) =>
    `<tr><td>${esc(b.group ?? "")}</td><td>${esc(b.name)}</td><td>${
      b.error ? `<span class="bad">failed: ${esc(b.error)}</span>` : num(formatNs(b.avgNs))
    }</td><td>${num(formatNs(b.minNs))}</td><td>${num(formatNs(b.p75Ns))}</td><td>${
      num(formatNs(b.p99Ns))
    }</td><td>${num(count(b.n))}</td><td><small>${
      esc(b.origin.split("/").at(-1) ?? "")
    }</small></td></tr>`
  );
  return `<p>Machine: ${esc(bench.cpu)} · ${esc(bench.runtime)}</p>${
    table(["Group", "Benchmark", "Mean", "Min", "p75", "p99", "Iterations", "File"], rows, "bench")
  }`;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5c6670;--line:#d8dee4;--bg:#fff;--soft:#f5f7f9;--met:#1a7f37;--missed:#b35900;
--failed:#c62828;--notrun:#6e7781;--rc:#1f5fbf;--eos:#d1402a;--warn:#8a5a00;--warnbg:#fff4d6}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main,header,nav,footer{max-width:1200px;margin:0 auto;padding:0 1rem}
header{padding-top:1.2rem}
h1{font-size:1.6rem;margin:.2rem 0 .4rem}
h2{font-size:1.3rem;margin:2.2rem 0 .5rem;padding-top:.8rem;border-top:2px solid var(--line)}
h2 small,h3 small{font-weight:normal;color:var(--muted);font-size:.8em}
h3{font-size:1.1rem;margin:1.4rem 0 .4rem}
h4{font-size:1rem;margin:.2rem 0 .3rem}
.secno{display:inline-block;min-width:1.6em;color:var(--muted)}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:0 .25em;border-radius:3px;overflow-wrap:anywhere}
pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:.6rem;border-radius:4px;overflow-x:auto;max-width:100%}
a{color:#0b5cad}
.muted,.legend{color:var(--muted)}
.legend{font-size:.9rem}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem .9rem;padding:0;margin:.4rem 0;list-style:none;font-size:.92rem}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5rem 0 1rem;border:1px solid var(--line);border-radius:6px;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{padding:.35rem .55rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--soft);white-space:nowrap;font-weight:600}
tbody tr:last-child td,tbody tr:last-child th{border-bottom:0}
table.savings td{min-width:7.5rem}
table.savings thead th{white-space:normal}
table.provenance td{min-width:10rem}
table.provenance td:nth-child(-n+3){min-width:6rem}
table.savings td.notes{min-width:0;background:#fffbea}
table.savings td.pair{min-width:9rem}
table.checks td:first-child{width:1%}
table.checks td:nth-child(2){min-width:8rem}
table.kv th{width:1%;white-space:nowrap;padding-right:1.5rem}
table.overview td{min-width:5.5rem}
table.overview td:nth-child(4),table.overview td:nth-child(5){min-width:11rem}
.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;font-size:.75rem;font-weight:600;line-height:1.5;border:1px solid transparent;white-space:nowrap;vertical-align:middle}
.status-met{background:#dafbe1;color:var(--met);border-color:#aceebb}
.status-missed{background:#fff1e0;color:var(--missed);border-color:#ffd59e}
.status-failed{background:#ffe4e4;color:var(--failed);border-color:#ffb3b3}
.status-not-run,.status-not-built{background:#eef0f2;color:var(--notrun);border-color:#d0d7de}
.method-rc{background:#e3edfb;color:var(--rc)}
.method-eos{background:#fde9e5;color:var(--eos)}
.profile-paper{background:#eef0f2;color:var(--fg)}
.profile-below,.warn{background:var(--warnbg);color:var(--warn);border-color:#f0d48a;white-space:normal;border-radius:6px}
.data{background:#f1ecfb;color:#5b3fa3;white-space:normal;border-radius:6px}
.badges{margin:.2rem 0 .5rem;display:flex;flex-wrap:wrap;gap:.3rem}
.run{border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:.8rem 0;background:#fff}
.run h4 code{font-size:.8rem;color:var(--muted)}
dl.metrics{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.4rem .8rem;margin:.4rem 0 .6rem}
dl.metrics div{background:var(--soft);border-radius:6px;padding:.35rem .6rem}
dl.metrics dt{font-size:.78rem;color:var(--muted)}
dl.metrics dd{margin:0;font-size:1.1rem;font-weight:600}
dl.metrics dd small{font-size:.75rem;font-weight:normal;color:var(--muted)}
.deviations{border-left:4px solid #e3a008;background:var(--warnbg);padding:.45rem .7rem;border-radius:0 6px 6px 0;font-size:.9rem}
.deviations.none{border-left-color:var(--met);background:#eefbf1}
.deviations ul{margin:.25rem 0 0;padding-left:1.2rem}
.target{font-size:.9rem;color:var(--muted);margin:.3rem 0}
.error{background:#ffe4e4;color:var(--failed);white-space:pre-wrap}
.notrun{background:var(--soft);border:1px dashed #c0c8d0;border-radius:6px;padding:.6rem .8rem}
.paper-shows{margin:.3rem 0}
.note{background:#eef5ff;border-radius:6px;padding:.4rem .7rem;font-size:.92rem}
.command{font-size:.9rem;color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,440px),1fr));gap:1rem;margin:.8rem 0}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:.6rem;min-width:0;background:#fff}
figcaption{font-size:.85rem;color:var(--muted);margin-top:.4rem}
figcaption strong{color:var(--fg)}
.chart{position:relative;height:300px;width:100%}
.chart.tall{height:380px}
.saving{font-weight:700;font-variant-numeric:tabular-nums;white-space:nowrap}
.saving.good{color:var(--met)}.saving.bad,.bad{color:var(--failed)}.saving.na{color:var(--muted);font-weight:normal}
td small{color:var(--muted)}
td.notes ul{margin:0;padding-left:1rem;font-size:.82rem;color:var(--warn)}
code.hash{font-size:11px}
details{margin:.3rem 0}
details summary{cursor:pointer}
.alerts{border:1px solid #f0d48a;background:var(--warnbg);border-radius:8px;padding:.5rem .9rem;margin:.6rem 0}
.alerts ul{margin:.2rem 0;padding-left:1.2rem}
footer{color:var(--muted);font-size:.85rem;padding-bottom:2rem}
@media (max-width:600px){
body{font-size:14px}
main,header,nav,footer{padding:0 .6rem}
h1{font-size:1.3rem}
h2{font-size:1.12rem}
.run{padding:.6rem}
table.checks th,table.checks td{padding:.3rem .4rem}
.chart{height:240px}
.chart.tall{height:300px}
dl.metrics{grid-template-columns:repeat(2,minmax(0,1fr))}
dl.metrics dd{font-size:1rem}
table.kv th{width:auto;white-space:normal}
}
`;

const CLIENT = `
(function () {
  var specs = JSON.parse(document.getElementById("report-charts").textContent);
  var fmt = function (v) {
    return typeof v === "number" ? (Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(+v.toFixed(2))) : String(v);
  };
  var drawn = 0;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var cfg = specs[Number(canvas.getAttribute("data-chart"))];
    cfg.options.plugins = cfg.options.plugins || {};
    cfg.options.plugins.tooltip = { callbacks: { label: function (ctx) {
      var raw = ctx.raw || {};
      var x = cfg.type === "bar" ? ctx.label : fmt(ctx.parsed.x);
      var theta = raw && raw.theta != null ? "  θ = " + raw.theta : "";
      return (ctx.dataset.label || "") + ": (" + x + ", " + fmt(ctx.parsed.y) + ")" + theta;
    } } };
    try { new Chart(canvas, cfg); drawn++; } catch (e) { console.error("Chart " + canvas.getAttribute("data-chart") + " failed: " + e); }
  });
  window.__chartsDrawn = drawn;
  requestAnimationFrame(function () { requestAnimationFrame(function () { window.__reportReady = true; }); });
})();
`;

/** Text safe inside a `<script>` element: `</script` cannot end it early. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/**
 * Renders the whole report as one HTML file.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "./html.ts";
 * const html = renderReport([], {
 *   generatedAt: "2026-01-01T00:00:00Z",
 *   chartJs: "",
 *   experiments: [{ id: "seq-spotting", title: "Sequence spotting", paper: { section: "3.1", figures: "Fig. 1" }, sections: [{ id: "fig1", title: "Spotting", paperFigures: "Fig. 1", figureKeys: ["1"], paperShows: "RC spikes early.", parts: { runs: true, curves: true, tradeoff: true, savings: true } }] }],
 * });
 * assert(html.includes("deno task reproduce --only seq-spotting"));
 * ```
 */
export function renderReport(records: RunRecord[], opts: RenderOptions): string {
  const byId = new Map(opts.experiments.map((e) => [e.id, e]));
  const page: Page = {
    sections: reportSections(opts.experiments),
    experiments: opts.experiments,
    info: (id) => byId.get(id),
    charts: new Charts(),
  };
  const { charts } = page;
  const sections = page.sections.map((s, i) => sectionHtml(s, i + 1, records, page));
  const allChecks = records.flatMap((r) => r.target?.checks ?? []);
  const ran = new Set(records.map((r) => r.experiment));
  const software = records.filter(ranOnSoftwareAdapter);
  const below = records.filter(belowProtocol);
  const failed = records.filter((r) => r.status === "failed");
  const alerts = [
    failed.length
      ? `${failed.length} run(s) failed: ${
        failed.map((r) => `${r.experiment}/${r.run}`).join(", ")
      }.`
      : "",
    below.length
      ? `${below.length} of ${records.length} run(s) use a profile below the paper's protocol (smoke or default); their numbers are labelled.`
      : "",
    software.length
      ? `${software.length} run(s) ran on a software WebGPU adapter: timings not representative of a GPU.`
      : "",
  ].filter(Boolean);
  const nav = [
    `<li><a href="#overview">Overview</a></li>`,
    `<li><a href="#savings">Compute savings</a></li>`,
    ...page.sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.paperFigures)}</a></li>`),
    `<li><a href="#bench">Benchmarks</a></li>`,
    `<li><a href="#provenance">Provenance</a></li>`,
    `<li><a href="#manifest">Environment</a></li>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Rank coding (ICLR 2022): reproduction report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Spike-inspired rank coding: reproduction report</h1>
<p class="muted">Reproducing Jeffares et al., “Spike-inspired rank coding for fast and accurate recurrent
neural networks” (ICLR 2022). Generated ${
    esc(opts.generatedAt)
  } from ${records.length} run record(s);
${ran.size} of ${opts.experiments.length} experiments run; ${
    allChecks.filter((c) => c.met).length
  } of
${allChecks.length} target checks met.</p>
${
    alerts.length
      ? `<div class="alerts"><ul>${alerts.map((a) => `<li>${esc(a)}</li>`).join("")}</ul></div>`
      : ""
  }
</header>
<nav aria-label="Contents"><ol>${nav.join("")}</ol></nav>
<main>
<section id="overview"><h2>Overview</h2>${overview(records, page)}</section>
<section id="savings"><h2>Compute savings: RC vs EOS</h2>
${SAVINGS_LEGEND}
${savingsTable(computeSavings(records), true)}
</section>
${sections.join("\n")}
<section id="bench"><h2>Benchmarks</h2>${benchSection(opts.bench)}</section>
<section id="provenance"><h2>Provenance</h2>${provenance(records)}</section>
<section id="manifest"><h2>Environment manifest</h2>${manifest(records, opts)}</section>
</main>
<footer><p>The report is a pure function of the run files under <code>runs/</code>; re-render with
<code>deno task report</code>.</p></footer>
<script type="application/json" id="report-charts">${scriptJson(charts.configs)}</script>
<script>${inlineScript(opts.chartJs)}</script>
<script>${inlineScript(CLIENT)}</script>
</body>
</html>
`;
}
