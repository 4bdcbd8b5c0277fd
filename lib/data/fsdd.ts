/**
 * Free Spoken Digit Dataset (FSDD): 3,000 recordings, 6 speakers x 10 digits x 50
 * takes, 8 kHz mono PCM16, named `{digit}_{speaker}_{take}.wav`.
 *
 * Fetched file by file from the repository's raw files at a pinned commit
 * (bounded concurrency), each verified against the manifest shipped in
 * `fsdd_manifest.ts`. Cached (and looked up in a mirror folder) as
 * `fsdd/recordings/<name>`.
 *
 * Split by take: 0-4 test (300), 5-9 validation (300), 10-49 train (2,400).
 * The official split has takes 0-4 as test and the rest as train; validation is
 * carved out of that train part. Classes: the digits 0-9.
 *
 * One recording as the features see it (resampled to 16 kHz, placed in a 1 s
 * clip): `readFsddClip` in `lib/encode/clip_features.ts`.
 *
 * @module
 */

import { ensureFiles, type FetchOptions, type FileSpec, sha256Hex } from "./download.ts";
import { FSDD_COMMIT, FSDD_MANIFEST } from "./fsdd_manifest.ts";

/** Sample rate of the recordings, Hz. */
export const FSDD_RATE = 8000;

/** Class names: "0" .. "9". */
export const FSDD_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** One recording. `name` is `{digit}_{speaker}_{take}.wav`. */
export interface FsddRecording {
  name: string;
  digit: number;
  speaker: string;
  take: number;
  sha256: string;
  size: number;
}

/** The split a take belongs to: 0-4 test, 5-9 validation, 10+ train. */
export function fsddSplitOf(take: number): "train" | "validation" | "test" {
  return take < 5 ? "test" : take < 10 ? "validation" : "train";
}

/** Parses the shipped manifest, in manifest order. */
export function fsddRecordings(): FsddRecording[] {
  const out: FsddRecording[] = [];
  for (const line of FSDD_MANIFEST.split("\n")) {
    if (!line.trim()) continue;
    const [sha256, size, name] = line.trim().split(/\s+/);
    const m = /^(\d)_([a-z]+)_(\d+)\.wav$/.exec(name);
    if (!m) throw new Error(`fsdd_manifest.ts: malformed recording name "${name}"`);
    out.push({
      name,
      digit: Number(m[1]),
      speaker: m[2],
      take: Number(m[3]),
      sha256,
      size: Number(size),
    });
  }
  return out;
}

/** The download spec of one recording. */
export function fsddFileSpec(r: FsddRecording): FileSpec {
  return {
    path: `fsdd/recordings/${r.name}`,
    urls: [
      `https://raw.githubusercontent.com/Jakobovski/free-spoken-digit-dataset/${FSDD_COMMIT}/recordings/${r.name}`,
    ],
    digests: [{ size: r.size, sha256: r.sha256 }],
  };
}

/** A downloaded, split data set: paths to verified WAV files. */
export interface FsddSplits {
  /** sha256 of the manifest: every file was verified against it. */
  checksum: string;
  classes: string[];
  train: { path: string; label: number }[];
  validation: { path: string; label: number }[];
  test: { path: string; label: number }[];
}

/**
 * Fetches (if needed) and verifies all 3,000 recordings, then splits them.
 *
 * @param opts.limitPerSplit keep only the first N recordings of each split (tests)
 * @param opts.concurrency parallel transfers (default 8)
 */
export async function loadFsdd(
  opts: FetchOptions & { limitPerSplit?: number; concurrency?: number } = {},
): Promise<FsddSplits> {
  const recs = fsddRecordings();
  const bySplit = {
    train: [] as FsddRecording[],
    validation: [] as FsddRecording[],
    test: [] as FsddRecording[],
  };
  for (const r of recs) bySplit[fsddSplitOf(r.take)].push(r);
  const order = (a: FsddRecording, b: FsddRecording) =>
    a.take - b.take || a.speaker.localeCompare(b.speaker) || a.digit - b.digit;
  for (const list of Object.values(bySplit)) {
    list.sort(order);
    if (opts.limitPerSplit !== undefined) list.splice(opts.limitPerSplit);
  }
  const wanted = [...bySplit.train, ...bySplit.validation, ...bySplit.test];
  const paths = await ensureFiles(wanted.map(fsddFileSpec), {
    ...opts,
    concurrency: opts.concurrency ?? 8,
    label: "fsdd recordings",
  });
  const pathOf = new Map(wanted.map((r, i) => [r.name, paths[i]]));
  const entries = (list: FsddRecording[]) =>
    list.map((r) => ({ path: pathOf.get(r.name)!, label: r.digit }));
  return {
    checksum: sha256Hex(FSDD_MANIFEST),
    classes: FSDD_CLASSES,
    train: entries(bySplit.train),
    validation: entries(bySplit.validation),
    test: entries(bySplit.test),
  };
}
