/**
 * What a paper experiment declares: its paper reference, profiles, targets, deviations, figure
 * captions and section text (plain data the report reads), and, once built, its runs.
 *
 * Plain types only: the report imports this module, so it imports nothing that computes.
 * @module
 */
import type {
  ExperimentId,
  FigureSpec,
  Profile,
  RunRecord,
  TargetCheck,
  Tolerance,
} from "../results.ts";

/** The type a config key accepts from `--set`; a list means one of these strings. */
export type FieldType = "integer" | "number" | "boolean" | "string" | readonly string[];

/** The keys of a config that `--set` may change, with their types. */
export type ConfigSchema<C> = { readonly [K in keyof C]?: FieldType };

/** A number the paper reports, how close ours must come, and why that close. */
export interface TargetSpec {
  name: string;
  /** Key of the run's measurements it compares (see the experiment's run code). */
  measure: string;
  paper: number;
  tolerance: Tolerance;
  unit: TargetCheck["unit"];
  /** Why this tolerance. */
  why: string;
  /**
   * Where the paper prints no number for this check: its claim in words (the check's `paper`
   * value is then our bound, shown as the target, never in the Paper column).
   */
  claim?: string;
  /**
   * Where the paper prints `paper` (e.g. "Sec. 3.2, Fig. 2B"); the report shows it under the
   * number, and falls back to the experiment's section and figures where a check names none.
   */
  source?: string;
}

/** A check made by run code whose `paper` value is our bound: the paper's claim in words. */
export interface ClaimSpec {
  /** The check's name, or the start of it. */
  check: string;
  claim: string;
}

/** What a report section draws for each of its experiments. */
export interface SectionParts {
  /** Per-run cards: metrics, target checks, deviations. */
  runs: boolean;
  /** Training curves of all runs (accuracy and mean spike time vs examples). */
  curves: boolean;
  /** Accuracy vs mean spike time over inference thresholds, one line per run. */
  tradeoff: boolean;
  /** Compute savings of each RC run against its EOS baseline. */
  savings: boolean;
}

/** Every part of a section. */
export const ALL_PARTS: SectionParts = { runs: true, curves: true, tradeoff: true, savings: true };

/**
 * The run-name part that marks a seed: "" for seed 1 (the published runs' original names), and
 * "-s<seed>" for the others, which the report groups with seed 1 as seeds of one configuration.
 */
export function seedSuffix(seed: number): string {
  return seed === 1 ? "" : `-s${seed}`;
}

/** One section of the report, declared by the experiment that reproduces it. */
export interface SectionSpec {
  /** HTML anchor. */
  id: string;
  title: string;
  /** The paper's figures and tables this section reproduces, as printed. */
  paperFigures: string;
  /**
   * Figure numbers (`"3"`) or tables (`"T1"`) whose `FigureSpec`s this section draws; matched
   * against the number in `FigureSpec.paperFigure` ("3B" -> "3", "T1" / "Table 1" -> "T1").
   * The first figure number also places the section in the paper's order.
   */
  figureKeys: string[];
  /** What the paper shows, in one line. */
  paperShows: string;
  parts: SectionParts;
  /** A note shown under the title (e.g. which data set stands in for which). */
  note?: string;
  /** Experiments shown in this section; defaults to the declaring experiment alone. */
  experiments?: ExperimentId[];
}

/** Profiles: what each one changes from the paper's protocol, and why. */
export type ProfileNotes = Record<Profile, string>;

/** A row of a comparison table as printed in a cited work (or the paper), copied as is. */
export interface CitedRow {
  kind: "cited";
  /** Who reported it, e.g. "Comşa et al. (2021)" or "paper (RC-training)". */
  source: string;
  model: string;
  architecture: string;
  /** The value as printed (e.g. "97.4", "<97.4"). */
  value: string;
}

/**
 * A row the report fills from run records: the runs named in `runs` (by base name, without a
 * profile or override suffix), grouped by profile, shown as best and mean ± sd of `measure`
 * over them, beside the paper's value (`paper`, met when the best is within `tolerance` at the
 * paper profile).
 */
export interface MeasuredRow {
  kind: "measured";
  model: string;
  architecture: string;
  /** Base run names (seeds) that make this row. */
  runs: string[];
  /** The paper's value, in the unit of `measure` (fraction for accuracies). */
  paper: number;
  /** Absolute tolerance in the same unit (0.003 = 0.3 points). */
  tolerance: number;
  /** The speed class the row belongs to (a `speedClasses` label); runs elsewhere miss it. */
  speedClass?: string;
}

/** A class of runs by mean first-spike step (e.g. the paper's fast and slow regimes). */
export interface SpeedClass {
  label: string;
  /** Mean spike step strictly below this (1-based steps consumed). */
  below?: number;
  /** Mean spike step strictly above this. */
  above?: number;
}

/** A table that interleaves cited rows with rows measured by this experiment's runs. */
export interface ComparisonTableSpec {
  /** Paper table label, e.g. "T1" or "Table 1" (matched by a section's `figureKeys`). */
  paperFigure: string;
  title: string;
  caption: string;
  /** Metric key of a run record's `metrics` (e.g. "testAccuracy"); shown as a percentage. */
  measure: "testAccuracy" | "eosAccuracy";
  /** Groups of rows in order (e.g. the paper's regimes), each with a heading. */
  groups: { title: string; rows: (CitedRow | MeasuredRow)[] }[];
  /** Classes every measured run is put in by its mean spike step; first match wins. */
  speedClasses?: SpeedClass[];
  /** The paper's training epochs per row (each run's budget is shown as a share of it). */
  paperEpochs?: number;
  /**
   * The paper's runs per row (e.g. 2: App. B.3 trains each model twice): a paper-profile cell with
   * fewer seeds is judged on the seeds it has and says how many of these it holds.
   */
  paperSeeds?: number;
}

/** The speed class of a mean spike step: the first class it fits, else `otherwise`. */
export function speedClassOf(
  meanSpikeTime: number,
  classes: readonly SpeedClass[],
  otherwise = "between",
): string {
  for (const c of classes) {
    if (
      (c.below === undefined || meanSpikeTime < c.below) &&
      (c.above === undefined || meanSpikeTime > c.above)
    ) return c.label;
  }
  return otherwise;
}

/**
 * Which trained weights an experiment evaluates: what the paper says (or that it is silent) and
 * what this harness does. The report shows it beside each run's numbers, with the validation
 * numbers of the final weights where another point was selected.
 */
export interface SelectionSpec {
  /** The paper's rule, with where it says so, or where it is silent. */
  paper: string;
  /** The rule here, in words. */
  ours: string;
  /**
   * Present when the rule here departs from the paper's or fills its silence: the deviation in
   * words (listed with the experiment's declared deviations and beside each run's numbers).
   */
  deviation?: string;
}

/** How the report labels a number of a run's `metrics.extra`. */
export interface MetricLabel {
  /** Human name, e.g. "positive spikes at the earliest step". */
  label: string;
  /** How to print it: a fraction as a percentage, steps with 2 decimals, a count, seconds. */
  unit: "fraction" | "steps" | "count" | "seconds" | "number";
  /** Where it goes: the run's card (default), provenance (diagnostics), or nowhere. */
  show?: "card" | "provenance" | "none";
}

/**
 * How the report presents a run-made figure (`FigureSpec`): the paper panel it stands for per
 * training method, and how the chart departs from that panel.
 */
export interface FigureView {
  /** Matches the recorded `FigureSpec.paperFigure`. */
  paperFigure: string;
  /** And a part of the recorded title (one label may carry several charts). */
  titleIncludes?: string;
  /** The paper panel per training method, e.g. RC-trained in "1C", EOS-trained in "1F". */
  panel?: Partial<Record<"rc" | "eos", string>>;
  /** Caption per training method (replaces the recorded caption). */
  caption?: Partial<Record<"rc" | "eos", string>>;
  /** How the chart departs from the paper's panel, e.g. "a histogram where the paper shows a raster". */
  differs?: string;
}

/**
 * A verdict over a grid of runs (e.g. Fig. 5's β grid, Fig. 7's θ_train grid), computed by the
 * report when it renders, from the run files alone: the same files give the same verdict whatever
 * order they finished in and whichever process made them (one `reproduce`, a Slurm array).
 * `evaluate` must be a pure function of the records, independent of their order.
 */
export interface GridSpec {
  /** Anchor and key, e.g. "fig5-grid". */
  id: string;
  title: string;
  /** The paper figure drawn from the grid ("5", "7"): it sits with that figure's section. */
  paperFigure: string;
  /**
   * What runs made by earlier code carried instead (the grid's verdict baked into whichever run
   * finished last): check names (a prefix matches), figure `paperFigure`s and `metrics.extra` keys.
   * The report leaves them out of those runs' cards, so a grid is judged here alone.
   */
  replaces: { checks: string[]; figures: string[]; extras: string[] };
  /** The grid over this experiment's records (any order, any subset); `info` gives captions. */
  evaluate(records: readonly RunRecord[], info: ExperimentInfo): GridResult;
}

/** One group of a grid: the runs of one seed at one profile (or set of overrides). */
export interface GridGroup {
  /** "seed 1", "seed 2 @paper", ... */
  label: string;
  /** The run-name suffix shared by the group's runs ("", "-s2", "-s2@paper"). */
  suffix: string;
  /** Runs of the grid found, and those declared but absent (not finished, or failed). */
  runs: string[];
  missing: string[];
  /** The group's measures (NaN-free; only those its runs allow), keyed as the checks' measures. */
  measured: Record<string, number>;
  figures: FigureSpec[];
}

/** A grid check: judged on the mean over the complete groups of a configuration. */
export interface GridCheck extends TargetCheck {
  /** Which group measures it averages ("seeds 1, 2, 3 (default)") and their spread. */
  over: string;
  /** Present when it cannot be judged: why (e.g. "2 of 9 runs of seed 1 have not finished"). */
  notMeasured?: string;
  /** The paper's claim in words, where the paper prints no number (then `paper` is our bound). */
  claim?: string;
}

/** What a grid shows: its groups, judged checks, and numbers shown beside but not judged. */
export interface GridResult {
  groups: GridGroup[];
  checks: GridCheck[];
  /** Lines shown with the grid and judged nowhere (comparisons beyond the paper's definition). */
  notes: string[];
}

/** The part of a declaration the report reads: plain data, no code that trains. */
export interface ExperimentInfo {
  id: ExperimentId;
  title: string;
  /** Where in the paper: section and figures, as printed. */
  paper: { section: string; figures: string };
  /** The report sections this experiment declares (possibly none: shown in another's). */
  sections: SectionSpec[];
  /** What is missing before it can run (e.g. "needs a ConvLSTM"); absent once built. */
  pending?: string;
  profiles?: ProfileNotes;
  /** The paper's numbers per training method, with a one-line description each. */
  targets?: Record<"rc" | "eos", { description: string; checks: TargetSpec[] }>;
  /** Departures from the paper's protocol at every profile, in words. */
  deviations?: string[];
  /** Captions of the run-made figures (`FigureSpec.caption`), keyed by a short name. */
  figures?: Record<string, Pick<FigureSpec, "paperFigure" | "caption">>;
  /** What the report's training-curve chart of spike times reproduces, e.g. "the paper's Fig. 2B". */
  spikeTimeCurveIs?: string;
  /** What the report's training-curve chart of accuracies stands for (default: no paper panel). */
  accuracyCurveIs?: string;
  /** What the report's accuracy-vs-speed chart over θ stands for (default: no paper panel). */
  tradeoffIs?: string;
  /** Which trained weights are evaluated (paper vs here). */
  selection?: SelectionSpec;
  /** Labels and units of the run records' `metrics.extra` keys; `*` matches any characters. */
  metricLabels?: Record<string, MetricLabel>;
  /** How run-made figures are presented (paper panel per method, departures). */
  figureViews?: FigureView[];
  /** Comparison tables (cited rows and measured rows), drawn in the section whose keys match. */
  tables?: ComparisonTableSpec[];
  /** Checks made by the run code whose `paper` number the paper does not print (see ClaimSpec). */
  claims?: ClaimSpec[];
  /** Verdicts over grids of runs, made by the report from the run files (see GridSpec). */
  grids?: GridSpec[];
  /**
   * A check recorded by older code, judged again by the report from the run file's own numbers
   * where that check's definition has changed (e.g. one that could not fail); others as they are.
   * Pure: `(check, record) => check`.
   */
  recheck?: (check: TargetCheck, r: RunRecord) => TargetCheck;
}

/** What a run's code gets besides its config. */
export interface RunContext {
  profile: Profile;
  configHash: string;
  /** The run's file name (with profile and override suffixes). */
  run: string;
  /**
   * The run's declared name, before `--set` suffixes ("rc", "eos-s2"): what a warm start
   * (`initFrom`) looks for in another run store. Absent: `run`.
   */
  declared?: string;
  /** The EOS run an RC run compares against, under the same suffixes. */
  baseline?: string;
  /** Finished runs of the same experiment (the EOS run, for RC's comparison). */
  finished: RunRecord[];
  log: (line: string) => void;
  /**
   * A folder the run may keep its own files in across attempts (checkpoints, weights): the
   * experiment's folder of the run store. Absent when the caller keeps no files.
   */
  workDir?: string;
}

/** One training run of an experiment at one profile. */
export interface RunDeclaration<C extends Record<string, unknown> = Record<string, unknown>> {
  /** Name inside the experiment: "eos", "rc@smoke", ... */
  run: string;
  method: "rc" | "eos";
  baseline?: string;
  /** The config at this profile, before `--set` overrides. */
  config: C;
  /** Relative cost of a config, for progress ETA: example-steps of training. */
  cost(config: C): number;
  /** Trains and evaluates with the final config (overrides applied). */
  execute(config: C, ctx: RunContext): Promise<RunRecord>;
}

/** A paper experiment: its report-facing data and, once built, its runs and settable keys. */
export interface ExperimentDeclaration extends ExperimentInfo {
  /** Runs in order (EOS baselines first: RC runs compare against them). Absent: not built yet. */
  runs?: (profile: Profile) => RunDeclaration[];
  /** The config keys `--set` may change, with their types. */
  settable?: ConfigSchema<Record<string, unknown>>;
}
