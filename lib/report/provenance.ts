/**
 * Where the page's numbers come from: the benchmarks, each run's provenance, and the environment
 * manifest (the machines and versions the runs used, grouped).
 * @module
 */

import { canonicalJson, judgedStatus, type RunRecord } from "../results.ts";
import { type BenchSummary, formatNs } from "./bench.ts";
import { chartJsVersion } from "./chartjs.ts";
import { count, esc, gitShort, inMetricUnit, isNum, NA } from "./format.ts";
import {
  num,
  type Row,
  runAnchor,
  runFileLink,
  stackTable,
  statusBadge,
  table,
} from "./elements.ts";
import { DIAGNOSTICS } from "./metric_labels.ts";
import type { RenderOptions } from "./page.ts";
import { machineOf, SOFTWARE_ADAPTER_DEVIATION } from "./runs.ts";

/**
 * One row per run: status, profile, backend, environment number, revision, seed, config hash,
 * when it finished and the harness's own diagnostics; then each run's config in full.
 */
export function provenance(records: RunRecord[], envIndex: Map<RunRecord, number>): string {
  if (records.length === 0) return `<p class="muted">No runs.</p>`;
  const rows: Row[] = records.map((r) => {
    const env = r.environment;
    const extra = r.metrics?.extra ?? {};
    const diag = Object.keys(DIAGNOSTICS).filter((k) => isNum(extra[k]));
    return {
      cells: [
        `<a href="#${runAnchor(r)}">${esc(r.experiment)}/${esc(r.run)}</a><br>${runFileLink(r)}`,
        statusBadge(judgedStatus(r)),
        esc(r.profile),
        `${esc(env?.backend ?? NA)}${env?.engine ? ` <small>(${esc(env.engine)})</small>` : ""}`,
        `<a href="#env-${envIndex.get(r) ?? 0}">${envIndex.get(r) ?? NA}</a>`,
        `<code title="${esc(env?.gitRevision ?? "")}">${esc(gitShort(env?.gitRevision))}</code>`,
        num(String(r.seed ?? NA)),
        `<code>${esc(r.configHash)}</code>`,
        `<small>${esc((r.finishedAt ?? "").replace("T", " ").slice(0, 16))}</small>`,
        diag.length
          ? `<small>${
            diag.map((k) =>
              `${esc(DIAGNOSTICS[k].label)}: ${esc(inMetricUnit(extra[k], DIAGNOSTICS[k].unit))}`
            ).join("<br>")
          }</small>`
          : `<span class="muted">${NA}</span>`,
      ],
    };
  });
  const details = records.map((r) =>
    `<details><summary>Config of <code>${esc(r.experiment)}/${
      esc(r.run)
    }</code> <small>(config hash ${esc(r.configHash)}; data checksum ${
      esc(r.data?.checksum ?? NA)
    })</small></summary><pre>${esc(JSON.stringify(r.config ?? {}, null, 2))}</pre></details>`
  ).join("\n");
  return stackTable(
    [
      "Run",
      "Status",
      "Profile",
      "Backend",
      "Environment",
      "Git revision",
      "Seed",
      "Config hash",
      "Finished (UTC)",
      "Memory (diagnostics)",
    ],
    rows,
    "provenance",
  ) + `<div class="configs">${details}</div>`;
}

/** Runs grouped by identical environment, numbered from 1 in record order. */
export function environments(records: RunRecord[]) {
  const groups = new Map<string, { env: RunRecord["environment"]; runs: RunRecord[] }>();
  for (const r of records) {
    const key = canonicalJson(r.environment ?? null);
    const g = groups.get(key) ?? { env: r.environment, runs: [] };
    g.runs.push(r);
    groups.set(key, g);
  }
  const list = [...groups.values()];
  const index = new Map<RunRecord, number>();
  list.forEach((g, i) => g.runs.forEach((r) => index.set(r, i + 1)));
  return { list, index };
}

/** Each environment in full (machine, versions, backend, adapter, flags) and this report's inputs. */
export function manifest(
  records: RunRecord[],
  opts: RenderOptions,
  envs: ReturnType<typeof environments>,
): string {
  const blocks = envs.list.map((g, i) => {
    const e = g.env;
    const rows: [string, string][] = e
      ? [
        ["Machine", machineOf(g.runs[0])],
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
            e.blas
              ? `${e.matmul}: ${e.blas.library} (${e.blas.threads} threads${
                e.blas.helper ? `, helper thread ${e.blas.helper}` : ""
              })`
              : e.matmul,
          ] as [string, string]]
          : []),
        ["OS / CPUs", `${e.os} / ${e.cpuCount}`],
        ["Git revision", gitShort(e.gitRevision)],
        ["TensorFlow.js flags", JSON.stringify(e.flags ?? {})],
      ]
      : [["Environment", "not recorded"]];
    return `<h3 id="env-${i + 1}">Environment ${i + 1} <small>(${g.runs.length} run${
      g.runs.length === 1 ? "" : "s"
    })</small></h3>
${
      table(
        null,
        rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`),
        "kv",
      )
    }
<p class="muted">Runs: ${
      g.runs.map((r) => `<code>${esc(`${r.experiment}/${r.run}`)}</code>`).join(", ")
    }</p>`;
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
  return blocks.join("\n") +
    `<h3>This report</h3>${
      table(
        null,
        report.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`),
        "kv",
      )
    }`;
}

/** The latest benchmark results as a table, or how to produce them. */
export function benchSection(bench: BenchSummary | null | undefined): string {
  if (!bench) {
    return `<p class="muted">No benchmark results (<code>reports/bench/latest.json</code>). Run
<code>deno task bench</code>.</p>`;
  }
  const rows: Row[] = bench.results.map((b) => ({
    cells: [
      esc(b.group ?? ""),
      esc(b.name),
      b.error ? `<span class="bad">failed: ${esc(b.error)}</span>` : num(formatNs(b.avgNs)),
      num(formatNs(b.minNs)),
      num(formatNs(b.p75Ns)),
      num(formatNs(b.p99Ns)),
      num(count(b.n)),
      `<small>${esc(b.origin.split("/").at(-1) ?? "")}</small>`,
    ],
  }));
  return `<p>Machine: ${esc(bench.cpu)} · ${esc(bench.runtime)}</p>${
    stackTable(
      ["Group", "Benchmark", "Mean", "Min", "p75", "p99", "Iterations", "File"],
      rows,
      "bench",
    )
  }`;
}
