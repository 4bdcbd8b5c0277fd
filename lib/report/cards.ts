/**
 * A run's card: what it measured against what the paper reports, how its weights were picked,
 * and how it departs from the paper.
 * @module
 */

import { judgedStatus, type RunRecord, type TargetCheck, withinTolerance } from "../results.ts";
import { count, esc, inUnit, isNum, NA, pct, slug, steps, tolerance } from "./format.ts";
import { accuracyNumber, accuracyPct, intervalRange, testCount } from "./accuracy.ts";
import {
  badge,
  deviationHtml,
  num,
  type Row,
  runAnchor,
  runFileLink,
  stackTable,
  statusBadge,
} from "./elements.ts";
import { metricLabel, metricText } from "./metric_labels.ts";
import {
  belowProtocol,
  declaredDeviations,
  NO_LONGER_DECLARED,
  ranOnSoftwareAdapter,
  runDeviations,
} from "./runs.ts";
import { rcDegenerate } from "./savings.ts";
import type { ExperimentInfo } from "./sections.ts";
import { seedsOf, seedStats, selectionOf } from "./select.ts";

/** The profile badge; `deviations` counts every deviation of the run (its own and declared). */
function profileBadge(r: RunRecord, deviations: number): string {
  if (belowProtocol(r)) {
    return badge(`profile: ${r.profile} — below the paper's protocol`, "profile-below");
  }
  const base = r.profile === "paper"
    ? "profile: paper"
    : `profile: ${r.profile} — the paper's protocol`;
  return deviations
    ? badge(`${base}, with ${deviations} deviation${deviations === 1 ? "" : "s"}`, "profile-below")
    : badge(base, "profile-paper");
}

/** The experiment's declared target of this check's name, if any. */
function declaredCheck(c: { name: string }, info?: ExperimentInfo) {
  return [...(info?.targets?.rc.checks ?? []), ...(info?.targets?.eos.checks ?? [])]
    .find((t) => t.name === c.name);
}

/**
 * Where the paper prints a check's number: the declared target's `source`, else the experiment's
 * section and figures (the place every number of that experiment comes from).
 */
export function placeOf(c: { name: string }, info?: ExperimentInfo): string | null {
  const declared = declaredCheck(c, info)?.source;
  if (declared) return declared;
  if (!info?.paper) return null;
  return [info.paper.section, info.paper.figures].filter(Boolean).join(", ") || null;
}

/**
 * The paper's claim in words where a check's `paper` number is not printed by the paper (our bound
 * or reading): from the declared target of that name, or the experiment's `claims`.
 */
export function claimOf(c: { name: string }, info?: ExperimentInfo): string | null {
  const declared = declaredCheck(c, info)?.claim;
  return declared ?? info?.claims?.find((x) => c.name.startsWith(x.check))?.claim ?? null;
}

/** Why a check's tolerance: from the record, else from the experiment's declared target. */
function checkWhy(r: RunRecord, c: { name: string; why?: string }, info?: ExperimentInfo) {
  return c.why ?? info?.targets?.[r.method]?.checks.find((t) => t.name === c.name)?.why;
}

/** How the weights were picked, in words, from the recorded rule. */
function ruleWords(rule: string): string {
  return rule === "last"
    ? "the final weights (end of training)"
    : rule === "eos"
    ? "the best validation accuracy read at the last step"
    : "the best validation RC-inference accuracy";
}

/** The model-selection note of a run card: rule, paper, deviation, final weights' numbers. */
function selectionBlock(r: RunRecord, info?: ExperimentInfo): string {
  const s = selectionOf(r);
  if (!s.selected) return "";
  const spec = info?.selection;
  const total = s.final ? ` of ${count(s.final.batch)}` : "";
  const v = (r.config as Record<string, unknown>)?.validationSize;
  const valSize = isNum(v) ? ` (${count(v)} examples)` : "";
  // Beside the weights evaluated: the final ones, or (when the final ones are evaluated) those
  // of the best validation RC-inference accuracy, the rule the paper states for some tasks.
  const rows: [string, NonNullable<typeof s.selected>][] = [["Weights evaluated", s.selected]];
  if (s.differs && s.final) rows.push(["Final weights", s.final]);
  if (s.rule === "last" && s.bestSpiking && s.bestSpiking !== s.selected) {
    rows.push(["Best validation RC-inference accuracy (not evaluated)", s.bestSpiking]);
  }
  return `<div class="selection"><p><strong>Model selection:</strong> ${
    esc(ruleWords(s.rule))
  } — batch ${count(s.selected.batch)}${total}.${
    spec?.deviation ? ` ${badge("deviation", "warn", spec.deviation)}` : ""
  }${spec ? ` Paper: ${esc(spec.paper)}.` : ""}</p>${
    rows.length > 1
      ? stackTable(
        [
          `Validation${esc(valSize)}`,
          "Batch",
          "RC-inference accuracy",
          "Mean first-spike step",
          "Accuracy at the last step",
        ],
        rows.map(([name, q]) => ({
          cells: [
            esc(name),
            num(count(q.batch)),
            num(pct(q.spikingAccuracy)),
            num(steps(q.meanSpikeTime)),
            num(pct(q.eosAccuracy)),
          ],
        })),
        "selection",
      )
      : ""
  }</div>`;
}

/** A run's target description without a leading "Paper Sec. 3.1:" (the section names it once). */
function targetText(description: string): string {
  return description.replace(/^Paper\s+[^:]{1,40}:\s*/, "");
}

/** "95 % interval a-b % (n = N)" for an accuracy on N examples (Wilson's score interval). */
export function intervalText(p: number, n: number | null): string {
  if (!isNum(p) || !n) return "";
  return `95 % interval ${intervalRange(p, n)} (n = ${n.toLocaleString("en-US")})`;
}

/**
 * A run's card: badges, headline metrics (with seeds' spread and the 95 % interval), model
 * selection, target checks and deviations. `all` holds the run's other seeds; `outdated` says why
 * the current code would not reuse the run's file, if it would not.
 */
export function runCard(
  r: RunRecord,
  info: ExperimentInfo | undefined,
  all: RunRecord[],
  outdated?: string,
): string {
  const m = r.metrics ?? ({} as Partial<RunRecord["metrics"]>);
  const tile = (label: string, value: string, hint = "") =>
    `<div><dt>${esc(label)}</dt><dd>${num(value)}${
      hint ? ` <small>${hint}</small>` : ""
    }</dd></div>`;
  const seeds = (
    value: (x: RunRecord) => number | null | undefined,
    fmt: (x: number) => string,
    unit = "",
  ) => {
    const st = seedStats(r, all, value);
    if (!st) return "";
    return st.seeds >= 2
      ? esc(`mean ± sd over ${st.seeds} seeds: ${fmt(st.mean)} ± ${fmt(st.sd)}${unit}`)
      : "1 seed";
  };
  const sel = selectionOf(r);
  const selHint = sel.selected
    ? ` · ${sel.rule === "last" ? "final weights" : "best-validation weights"}${
      info?.selection?.deviation ? " " + badge("deviation", "warn", info.selection.deviation) : ""
    }`
    : "";
  const extras = Object.entries(m.extra ?? {}).map(([k, v]) => ({ k, v, l: metricLabel(k, info) }))
    .filter(({ l }) => (l.show ?? "card") === "card")
    .map(({ k, v, l }) =>
      tile(l.label.charAt(0).toUpperCase() + l.label.slice(1), metricText(k, v, l))
    );
  const checks = r.target?.checks ?? [];
  // With two or more seeds, each check is also judged on the seeds' mean (issue: the spread, not
  // one draw, is what a tolerance should be read against).
  const seedCheck = (c: TargetCheck) => {
    const st = seedStats(r, all, (o) => o.target?.checks.find((x) => x.name === c.name)?.measured);
    if (!st || st.seeds < 2) return "";
    const met = withinTolerance(st.mean, c.paper, c.tolerance);
    return `${met ? badge("met", "status-met") : badge("missed", "status-missed")} ${
      num(`${inUnit(st.mean, c.unit)} ± ${inUnit(st.sd, c.unit)}`)
    } <small>(${st.seeds} seeds)</small>`;
  };
  const withSeeds = seedsOf(r, all).filter((o) => o.status !== "failed").length >= 2;
  const checkRows: Row[] = checks.map((c) => {
    const why = checkWhy(r, c, info);
    const claim = claimOf(c, info);
    const place = claim ? null : placeOf(c, info);
    return {
      cells: [
        c.notMeasured
          ? badge("not measured", "status-not-checked", c.notMeasured)
          : c.met
          ? badge("met", "status-met")
          : badge("missed", "status-missed"),
        `${esc(c.name)}${why ? `<br><small>${esc(why)}</small>` : ""}${
          c.notMeasured ? `<br><small><em>not measured: ${esc(c.notMeasured)}</em></small>` : ""
        }`,
        // A number the paper does not print never stands in its column: its words do.
        claim
          ? `<small class="claim">claim: ${esc(claim)}</small>`
          : `${num(inUnit(c.paper, c.unit))}${
            place ? `<br><small class="place">${esc(place)}</small>` : ""
          }`,
        num(inUnit(c.measured, c.unit)),
        ...(withSeeds ? [seedCheck(c)] : []),
        // An abs tolerance is around the paper's value; for a claim that value is ours: say it.
        num(
          claim && c.tolerance?.kind === "abs"
            ? `${inUnit(c.paper, c.unit)} ${tolerance(c.tolerance, c.unit)}`
            : tolerance(c.tolerance, c.unit),
        ),
      ],
    };
  });
  const own = runDeviations(r);
  const degenerate = rcDegenerate(r);
  const declared = declaredDeviations(info);
  const devCount = own.length + declared.length;
  // Accuracies to the precision the test set supports (one clip of 300 is 0.33 points).
  const tested = testCount(r);
  const pctFmt = (x: number) => accuracyNumber(x, tested);
  return `<article class="run" id="${runAnchor(r)}">
<h4>${esc(r.title ?? r.run)} <code>${esc(r.run)}</code> ${runFileLink(r)}</h4>
<p class="badges">${statusBadge(judgedStatus(r))}${
    degenerate ? ` ${badge(degenerate, "status-missed")}` : ""
  } ${badge(r.method.toUpperCase(), `method-${r.method}`)} ${profileBadge(r, devCount)} ${
    badge(`data: ${r.data?.name ?? "unknown"}`, "data")
  } ${badge(`seed ${r.seed ?? NA}`, "data")}${
    r.overrides && Object.keys(r.overrides).length ? " " + badge("config overridden", "warn") : ""
  }${ranOnSoftwareAdapter(r) ? " " + badge("software adapter", "warn") : ""}${
    outdated
      ? " " + badge(
        outdated === NO_LONGER_DECLARED
          ? "no longer declared"
          : "older config: deno task reproduce reruns it",
        "warn",
        outdated,
      )
      : ""
  }</p>
${
    r.status === "failed"
      ? `<pre class="error">${esc(r.error ?? "failed without a message")}</pre>`
      : ""
  }
<dl class="metrics">
${
    tile(
      `Test accuracy, RC-inference${isNum(m.threshold) ? ` (θ = ${m.threshold})` : ""}`,
      accuracyPct(m.testAccuracy, tested),
      [
        intervalText(m.testAccuracy, tested),
        seeds((x) => x.metrics?.testAccuracy, pctFmt, " %"),
      ]
        .filter(Boolean).join(" · ") + selHint,
    )
  }
${
    tile(
      "Mean first-spike step",
      steps(m.meanSpikeTime),
      (isNum(m.numSteps) ? `of ${m.numSteps}` : "") +
        (seedsOf(r, all).length > 1
          ? ` · ${seeds((x) => x.metrics?.meanSpikeTime, (x) => x.toFixed(2), " steps")}`
          : ""),
    )
  }
${tile("Examples that spiked", pct(m.fractionFired))}
${tile("Accuracy read at the last step (EOS)", accuracyPct(m.eosAccuracy, tested))}
${extras.join("\n")}
</dl>
${selectionBlock(r, info)}
${
    r.target?.description
      ? `<p class="target">Paper: ${esc(targetText(r.target.description))}</p>`
      : ""
  }
${
    checks.length
      ? stackTable(
        [
          "",
          "Check",
          "Paper (as printed)",
          "Ours",
          ...(withSeeds ? ["Mean over seeds"] : []),
          "Target",
        ],
        checkRows,
        "checks",
      )
      : '<p class="muted">No target checks declared.</p>'
  }
<div class="deviations${devCount ? "" : " none"}"><strong>Deviations from the paper (${devCount})${
    devCount ? ":" : ""
  }</strong>${devCount ? "" : " none recorded."}${
    own.length ? `<ul>${own.map((d) => `<li>${deviationHtml(d)}</li>`).join("")}</ul>` : ""
  }${
    declared.length
      ? `<p class="declared-ref">${own.length ? "and " : ""}${declared.length} declared for ${
        esc(r.experiment)
      }: <a href="#declared-${slug(r.experiment)}">listed under the runs</a>.</p>`
      : ""
  }</div>
</article>`;
}
