/**
 * `deno task data NAME... [--data-mirror URL|DIR] [--data-dir DIR]`
 *
 * Fetches and verifies data sets into the cache and prints their paths.
 * NAME: mnist, fashion-mnist, fsdd, speech-commands.
 *
 * @module
 */

import { DataUnavailableError, resolveDataDir } from "../lib/data/download.ts";
import { loadFsdd } from "../lib/data/fsdd.ts";
import { loadMnist, mnistFileSpecs } from "../lib/data/mnist.ts";
import { loadSpeechCommands } from "../lib/data/speech_commands.ts";
import { idList, parseCli, runCli } from "./_cli.ts";

const NAMES = ["mnist", "fashion-mnist", "fsdd", "speech-commands"] as const;
type Name = typeof NAMES[number];

const CLI = {
  task: "data",
  usage: `usage: deno task data NAME... [--data-mirror URL|DIR] [--data-dir DIR]
  NAME: ${NAMES.join(", ")}
  --data-mirror  extra source tried after the canonical URL: an http(s) URL or a folder
                 laid out like the cache (mnist/<file>.gz, fsdd/recordings/<name>.wav,
                 speech_commands/speech_commands_v0.02.tar.gz); also env RC_DATA_MIRROR
  --data-dir     cache folder (default: $RC_DATA_DIR, else the user's cache folder)`,
  options: {
    "data-mirror": { type: "string" },
    "data-dir": { type: "string" },
  },
  positionals: true,
} as const;

async function fetchOne(name: Name, dataDir: string, mirror?: string): Promise<string[]> {
  switch (name) {
    case "mnist":
    case "fashion-mnist": {
      const d = await loadMnist({ dataDir, mirror, variant: name });
      return [
        ...mnistFileSpecs(name).map((s) => `${dataDir}/${s.path}`),
        `train ${d.train.count}, test ${d.test.count} images; checksum ${d.checksum}`,
      ];
    }
    case "fsdd": {
      const d = await loadFsdd({ dataDir, mirror });
      return [
        `${dataDir}/fsdd/recordings/`,
        `train ${d.train.length}, validation ${d.validation.length}, test ${d.test.length} ` +
        `recordings; checksum ${d.checksum}`,
      ];
    }
    case "speech-commands": {
      const d = await loadSpeechCommands({ dataDir, mirror });
      return [
        `${d.root}/`,
        `train ${d.train.length}, validation ${d.validation.length}, test ${d.test.length} ` +
        `clips; checksum ${d.checksum}`,
      ];
    }
  }
}

/** The task; `args` as on the command line. Throws a UsageError for a bad command line. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(CLI, args);
  if (!parsed) return 0;
  const names = idList(parsed.positionals, {
    where: "NAME",
    what: "data set",
    known: NAMES,
  }) as Name[];
  const dataDir = resolveDataDir(parsed.values["data-dir"]);
  let failed = 0;
  for (const name of names) {
    try {
      const lines = await fetchOne(name, dataDir, parsed.values["data-mirror"]);
      console.log(`${name}:`);
      for (const l of lines) console.log(`  ${l}`);
    } catch (e) {
      failed++;
      const msg = e instanceof DataUnavailableError || e instanceof Error ? e.message : String(e);
      console.error(`${name}: failed\n${msg}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) await runCli(CLI, main);
