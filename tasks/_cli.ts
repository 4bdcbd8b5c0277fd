/**
 * What every task's command line shares: strict `parseArgs` (node:util), `--help`/`-h` answered
 * with the usage on stdout and exit 0, and a usage error (unknown flag, missing or empty value,
 * a bad choice, a repeated id) reported as ONE line on stderr with exit 2, never a stack trace.
 *
 * @example
 * ```ts ignore
 * const CLI = { task: "report", usage: "usage: deno task report [--out DIR]",
 *   options: { out: { type: "string", default: "reports" } } } as const;
 * export async function main(args: string[]): Promise<number> {
 *   const parsed = parseCli(CLI, args);
 *   if (!parsed) return 0; // --help was answered
 *   ...
 * }
 * if (import.meta.main) await runCli(CLI, main);
 * ```
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { Profile } from "../lib/results.ts";

/** The profiles `--profile` takes (lib/results.ts `Profile`). */
export const PROFILES: readonly Profile[] = ["smoke", "default", "paper"];

/** A mistake in the command line: reported in one line, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A task's command line: its name (for messages), its usage text and its options. */
export interface CliSpec<T extends ParseArgsOptionsConfig> {
  task: string;
  usage: string;
  options: T;
  /** Whether bare arguments (e.g. data set names) are accepted. Default false. */
  positionals?: boolean;
}

type Parsed<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
>;

/**
 * Parses `args` strictly against `spec.options`. Returns null after printing the usage when
 * `--help` or `-h` comes before any `--`; throws {@link UsageError} for anything parseArgs
 * refuses and for an empty string given to a string option.
 */
export function parseCli<T extends ParseArgsOptionsConfig>(
  spec: CliSpec<T>,
  args: string[],
): Parsed<T> | null {
  const end = args.indexOf("--");
  if ((end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
    console.log(spec.usage);
    return null;
  }
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({
      args,
      options: spec.options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    // parseArgs' advice on "--"-escaping positionals is noise for these command lines.
    throw new UsageError((e as Error).message.replace(/\. To specify a positional .*$/s, ""));
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === "") throw new UsageError(`--${name} needs a value: got an empty string`);
    }
  }
  return parsed;
}

/** "a, b or c". */
function alternatives(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** `value` when it is one of `allowed`; else a UsageError naming the flag and the choices. */
export function choice<C extends string>(flag: string, value: string, allowed: readonly C[]): C {
  if ((allowed as readonly string[]).includes(value)) return value as C;
  throw new UsageError(`--${flag} must be ${alternatives(allowed)}: got "${value}"`);
}

/**
 * Ids given as `items` (the parts of a comma-separated flag, or positionals), each one of
 * `known`: refuses an empty list, an empty id, an unknown id and an id given twice, naming
 * `where` they came from (e.g. "--only") and `what` they are (e.g. "experiment").
 */
export function idList(
  items: string[],
  opts: { where: string; what: string; known: readonly string[] },
): string[] {
  const { where, what, known } = opts;
  const ids = items.map((s) => s.trim());
  if (ids.length === 0) {
    throw new UsageError(`${where} needs at least one ${what}: one of ${known.join(", ")}`);
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === "") throw new UsageError(`${where} has an empty ${what} in "${items.join(",")}"`);
    if (!known.includes(id)) {
      throw new UsageError(
        `Unknown ${what} "${id}": expected one of ${known.join(", ")} (${where})`,
      );
    }
    if (seen.has(id)) throw new UsageError(`${where} gives ${what} "${id}" twice`);
    seen.add(id);
  }
  return ids;
}

/** The message of `e` on one line (whitespace runs, newlines included, become one space). */
function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
}

/**
 * Runs a task's `main(Deno.args)` and exits with its status. A UsageError becomes one line on
 * stderr and exit 2; any other error its message (no stack trace) and exit 1.
 */
export async function runCli(
  spec: { task: string },
  main: (args: string[]) => Promise<number>,
): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${spec.task}: ${oneLine(e)} (deno task ${spec.task} --help shows the usage)`);
      Deno.exit(2);
    }
    console.error(`${spec.task}: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
