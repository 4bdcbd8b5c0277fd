/**
 * The page's building blocks, shared by its parts: badges, numbers, tables (plain and stacked:
 * one card per row on a narrow screen), deviations and links to runs.
 * @module
 */

import { parseOverrideDeviation } from "../experiments/overrides.ts";
import type { RunRecord } from "../results.ts";
import { esc, slug } from "./format.ts";
import { runFileHref } from "./runs.ts";

/** A badge: `kind` is its class (`status-met`, `warn`, ...), `title` its tooltip. */
export const badge = (text: string, kind: string, title = ""): string =>
  `<span class="badge ${esc(kind)}"${title ? ` title="${esc(title)}"` : ""}>${esc(text)}</span>`;
/** The badge of a status (`met`, `missed`, `failed`, `not run`, ...). */
export const statusBadge = (s: string): string => badge(s, `status-${slug(s)}`);
/** A number: tabular figures, never broken across lines. */
export const num = (text: string): string => `<span class="num">${esc(text)}</span>`;
/** A table of two columns (names and values) or any table that reads at every width as is. */
export const table = (head: string[] | null, rows: string[], cls = ""): string =>
  `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ""}>${
    head ? `<thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead>` : ""
  }<tbody>${rows.join("")}</tbody></table></div>`;

/** A deviation as HTML: a `--set` override's key and value as code (they are config names). */
export function deviationHtml(d: string): string {
  const o = parseOverrideDeviation(d);
  return o
    ? `config override: <code>${esc(o.key)} = ${esc(o.value)}</code> (paper: ${esc(o.paper)})`
    : esc(d);
}

/** A row of a stacked table: cells (HTML), a group heading, or a note across the row. */
export type Row = { cells: string[]; cls?: string } | { group: string } | { note: string };

/**
 * A table that becomes one card per row on a narrow screen: every cell carries its column's
 * name (`data-label`), shown before the value when the header row is hidden.
 */
export function stackTable(head: string[], rows: Row[], cls: string): string {
  const plain = head.map((h) => h.replace(/<[^>]*>/g, "").trim());
  const body = rows.map((r) => {
    if ("group" in r) return `<tr class="group"><th colspan="${head.length}">${r.group}</th></tr>`;
    if ("note" in r) return `<tr class="note-row"><td colspan="${head.length}">${r.note}</td></tr>`;
    return `<tr${r.cls ? ` class="${r.cls}"` : ""}>${
      r.cells.map((c, i) =>
        `<td data-label="${esc(plain[i] ?? "")}"><div class="v">${c}</div></td>`
      )
        .join("")
    }</tr>`;
  });
  return `<div class="table-wrap"><table class="stack ${cls}"><thead><tr>${
    head.map((h) => `<th>${h}</th>`).join("")
  }</tr></thead><tbody>${body.join("")}</tbody></table></div>`;
}

/** The id of a run's card, which the overview and provenance tables link to. */
export const runAnchor = (r: RunRecord): string => `run-${slug(r.experiment)}-${slug(r.run)}`;
/** A link to a run's file. */
export const runFileLink = (r: RunRecord): string =>
  `<a class="runfile" href="${esc(runFileHref(r))}">run file</a>`;
