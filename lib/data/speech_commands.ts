/**
 * Google Speech Commands v0.02 (Warden 2018): 105,829 one-second 16 kHz clips of
 * 35 words. Fetched as the 2.4 GB tar.gz, extracted once into the cache.
 *
 * Split (Warden 2018, section 7): a clip listed in `validation_list.txt` is
 * validation, one in `testing_list.txt` is test, every other clip is train;
 * `_background_noise_/` is not a clip. Labels (paper Sec. 3.5): the 10 keywords
 * are classes 0-9 in the order of {@link KEYWORDS}, the 25 other words are class
 * 10, "unknown".
 *
 * @module
 */

import {
  ensureFileWithHash,
  type FetchOptions,
  type FileSpec,
  resolveDataDir,
  sha256Hex,
  stderrProgress,
} from "./download.ts";
import { extractTarGz } from "./tar.ts";
import { padOrCrop, readWav } from "./wav.ts";

/** The archive: canonical URL, size and sha256 as published. */
export const SPEECH_COMMANDS_V2: FileSpec = {
  path: "speech_commands/speech_commands_v0.02.tar.gz",
  urls: [
    "https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
  ],
  digests: [{
    size: 2_428_923_189,
    sha256: "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
  }],
};

/** The 10 keywords, classes 0-9. */
export const KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"];

/** All 11 class names: the keywords, then "unknown" (class 10). */
export const SPEECH_COMMANDS_CLASSES = [...KEYWORDS, "unknown"];

/** Sample rate of every clip, Hz. */
export const SPEECH_COMMANDS_RATE = 16000;

/** One clip: `file` is relative to the dataset root, e.g. `yes/0a7c2a8d_nohash_0.wav`. */
export interface Clip {
  file: string;
  word: string;
  label: number;
}

/** The dataset, split. */
export interface SpeechCommandsSplits {
  /** Folder holding `<word>/<clip>.wav`, `validation_list.txt`, `testing_list.txt`. */
  root: string;
  /** Identifies the exact data: the archive's sha256, or a content hash of a given root. */
  checksum: string;
  classes: string[];
  train: Clip[];
  validation: Clip[];
  test: Clip[];
}

/** Class index of a word: its keyword index, or 10 ("unknown") for any other word. */
export function labelFor(word: string): number {
  const i = KEYWORDS.indexOf(word);
  return i >= 0 ? i : KEYWORDS.length;
}

async function readList(root: string, name: string): Promise<Set<string>> {
  const path = `${root}/${name}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(
      `${path}: cannot read the split list (${(e as Error).message}); a Speech Commands root ` +
        "must hold validation_list.txt and testing_list.txt beside the word folders",
    );
  }
  return new Set(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0));
}

/**
 * Lists the clips of an extracted dataset and splits them by the official lists.
 * Clips are sorted by path within each split, so the order is reproducible.
 */
export async function listSpeechCommands(
  root: string,
): Promise<Omit<SpeechCommandsSplits, "checksum">> {
  const validationList = await readList(root, "validation_list.txt");
  const testList = await readList(root, "testing_list.txt");
  const train: Clip[] = [];
  const validation: Clip[] = [];
  const test: Clip[] = [];
  const words: string[] = [];
  for await (const e of Deno.readDir(root)) {
    if (e.isDirectory && !e.name.startsWith("_") && !e.name.startsWith(".")) words.push(e.name);
  }
  words.sort();
  if (words.length === 0) {
    throw new Error(`${root}: no word folders found; is this a Speech Commands root?`);
  }
  for (const word of words) {
    const names: string[] = [];
    for await (const e of Deno.readDir(`${root}/${word}`)) {
      if (e.isFile && e.name.endsWith(".wav")) names.push(e.name);
    }
    names.sort();
    for (const name of names) {
      const file = `${word}/${name}`;
      const clip = { file, word, label: labelFor(word) };
      if (testList.has(file)) test.push(clip);
      else if (validationList.has(file)) validation.push(clip);
      else train.push(clip);
    }
  }
  return { root, classes: SPEECH_COMMANDS_CLASSES, train, validation, test };
}

const MARKER = ".extracted-from";

/** Options of {@link loadSpeechCommands}. */
export interface SpeechCommandsOptions extends FetchOptions {
  /** An already-extracted dataset folder: used as it is, nothing is fetched. */
  root?: string;
  /**
   * The archive to fetch instead of {@link SPEECH_COMMANDS_V2} (default): its
   * `urls`, then the mirrors at its `path`, verified against its `digests` exactly
   * as the real one is. Tests use it to run the whole path on a small archive
   * laid out like the real one.
   */
  archive?: FileSpec;
}

/**
 * Where an archive is extracted: `<dataDir>/speech_commands/v0.02` for the real
 * one (any spec at its path); for another, beside it in the cache, named after it without `.tar.gz`
 * (`speech_commands/x.tar.gz` -> `speech_commands/x`).
 */
export function extractionRoot(archive: FileSpec, dataDir?: string): string {
  const base = resolveDataDir(dataDir);
  if (archive.path === SPEECH_COMMANDS_V2.path) return `${base}/speech_commands/v0.02`;
  const stem = archive.path.replace(/\.(tar\.gz|tgz)$/i, "");
  if (stem === archive.path) {
    throw new Error(
      `Speech Commands archive "${archive.path}": the path must end in .tar.gz or .tgz`,
    );
  }
  return `${base}/${stem}`;
}

/**
 * Fetches (if needed) and verifies the v0.02 archive (or `archive`), extracts it
 * once (see {@link extractionRoot}; again whenever the verified archive's sha256
 * differs from the one extracted), and lists the split. `checksum` is the
 * archive's sha256.
 *
 * With `root`, uses that already-extracted folder instead and fetches nothing;
 * `checksum` is then the sha256 of every clip's path and content digest.
 */
export async function loadSpeechCommands(
  opts: SpeechCommandsOptions = {},
): Promise<SpeechCommandsSplits> {
  if (opts.root) {
    const listed = await listSpeechCommands(opts.root);
    return { ...listed, checksum: await contentChecksum(listed) };
  }
  const spec = opts.archive ?? SPEECH_COMMANDS_V2;
  const root = extractionRoot(spec, opts.dataDir);
  const archive = await ensureFileWithHash(spec, opts);
  let marker = "";
  try {
    marker = (await Deno.readTextFile(`${root}/${MARKER}`)).trim();
  } catch {
    // Not extracted yet.
  }
  if (marker !== archive.sha256) {
    const onProgress = opts.onProgress ?? (opts.quiet ? undefined : stderrProgress());
    await extractTarGz(archive.path, root, { onProgress });
    await Deno.writeTextFile(`${root}/${MARKER}`, archive.sha256);
  }
  return { ...(await listSpeechCommands(root)), checksum: archive.sha256 };
}

async function contentChecksum(s: Omit<SpeechCommandsSplits, "checksum">): Promise<string> {
  const all = [...s.train, ...s.validation, ...s.test].map((c) => c.file).sort();
  const lines: string[] = [];
  for (const f of all) {
    const bytes = await Deno.readFile(`${s.root}/${f}`);
    lines.push(`${sha256Hex(bytes)}  ${f}`);
  }
  for (const list of ["validation_list.txt", "testing_list.txt"]) {
    lines.push(`${sha256Hex(await Deno.readFile(`${s.root}/${list}`))}  ${list}`);
  }
  return sha256Hex(lines.join("\n"));
}

/**
 * Reads one clip as 16 kHz samples padded with zeros (or cropped) to 1 s.
 *
 * @returns [16000] samples in [-1, 1)
 */
export async function readClip(root: string, clip: Clip): Promise<Float32Array> {
  const path = `${root}/${clip.file}`;
  const wav = await readWav(path);
  if (wav.sampleRate !== SPEECH_COMMANDS_RATE) {
    throw new Error(
      `${path}: sample rate ${wav.sampleRate} Hz, expected ${SPEECH_COMMANDS_RATE} Hz for Speech Commands`,
    );
  }
  return padOrCrop(wav.samples, SPEECH_COMMANDS_RATE);
}
