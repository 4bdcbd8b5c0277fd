/**
 * Download layer: fetches data files from a list of sources, verifies them and
 * caches them outside the repository.
 *
 * For each file the sources are tried in order: the canonical URL(s) first, then
 * every mirror (`--data-mirror URL|DIR`, env `RC_DATA_MIRROR`, several separated by
 * commas). A mirror is an http(s) URL or a local folder laid out like the data
 * cache itself (`mnist/<file>.gz`, `fsdd/recordings/<name>.wav`,
 * `speech_commands/speech_commands_v0.02.tar.gz`, `fashion-mnist/<file>.gz`).
 *
 * A transfer writes `<name>.tmp`, resumes it with an HTTP `Range` request when the
 * connection drops, checks size and digest, and only then renames it to `<name>`,
 * so the cache never holds an unverified file under its final name.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** One acceptable version of a file: its size in bytes and at least one digest. */
export interface Digest {
  size: number;
  sha256?: string;
  md5?: string;
}

/** A file to fetch: where it lives in the cache (and in a mirror) and what it must hash to. */
export interface FileSpec {
  /** Path relative to the data directory and to a mirror, e.g. `mnist/train-labels-idx1-ubyte.gz`. */
  path: string;
  /** Canonical URLs, tried before any mirror. */
  urls: string[];
  /** Accepted versions; the file is valid when it matches any of them. */
  digests: Digest[];
  /** Extra local folders tried after the mirrors (e.g. a Debian package's folder). */
  localDirs?: string[];
}

/** Progress of one transfer or of a batch of files. */
export interface DownloadProgress {
  /** `path` of the file, or a batch label. */
  name: string;
  done: number;
  total: number;
  /** What `done` and `total` count: bytes, files, or audio clips (feature extraction). */
  unit: "bytes" | "files" | "clips";
}

/** Options shared by every function that may fetch data. */
export interface FetchOptions {
  /** Cache folder; default `$RC_DATA_DIR`, else the user's cache folder. */
  dataDir?: string;
  /** Extra sources: URL(s) or folder(s); comma-separated in a string. `RC_DATA_MIRROR` is added. */
  mirror?: string | string[];
  /** Called as bytes or files arrive. Default: a progress line on stderr. */
  onProgress?: (p: DownloadProgress) => void;
  /** Suppress the default stderr progress lines. */
  quiet?: boolean;
  /** Seconds without a single byte before a transfer is abandoned (default 60). */
  stallSeconds?: number;
}

/** Raised when no source could supply a verified copy of a file. */
export class DataUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataUnavailableError";
  }
}

/** Where data is cached: `$RC_DATA_DIR`, else `$XDG_CACHE_HOME/rank-coding`, else `~/.cache/rank-coding`. */
export function defaultDataDir(): string {
  const env = Deno.env.get("RC_DATA_DIR");
  if (env) return env;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/rank-coding`;
  if (Deno.build.os === "windows") {
    const local = Deno.env.get("LOCALAPPDATA");
    if (local) return `${local}\\rank-coding`;
  }
  if (Deno.build.os === "darwin") {
    const home = Deno.env.get("HOME");
    if (home) return `${home}/Library/Caches/rank-coding`;
  }
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) {
    throw new Error(
      "Cannot choose a data cache folder: none of RC_DATA_DIR, XDG_CACHE_HOME, HOME is set. " +
        "Set RC_DATA_DIR to a writable folder.",
    );
  }
  return `${home}/.cache/rank-coding`;
}

/** `dataDir` if given, else {@link defaultDataDir}. */
export function resolveDataDir(dataDir?: string): string {
  return dataDir ?? defaultDataDir();
}

/** The mirrors to use: those given, then those in `RC_DATA_MIRROR`; empty entries dropped. */
export function mirrorList(mirror?: string | string[]): string[] {
  const given = mirror === undefined ? [] : Array.isArray(mirror) ? mirror : mirror.split(",");
  const env = (Deno.env.get("RC_DATA_MIRROR") ?? "").split(",");
  const out: string[] = [];
  for (const m of [...given, ...env]) {
    const t = m.trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

/** One place a file can be obtained from. */
export type Source = { kind: "url"; url: string } | { kind: "dir"; path: string };

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** Every source of `spec`, in the order they are tried: canonical URLs, mirrors, local folders. */
export function sourcesFor(spec: FileSpec, mirrors: string[]): Source[] {
  const out: Source[] = spec.urls.map((url) => ({ kind: "url", url }));
  for (const m of mirrors) {
    if (isUrl(m)) out.push({ kind: "url", url: `${m.replace(/\/+$/, "")}/${spec.path}` });
    else {
      let dir = m;
      try {
        if (m.startsWith("file://")) dir = decodeURIComponent(new URL(m).pathname);
      } catch { /* not a valid file URL: tried as a path, and reported as not found */ }
      out.push({ kind: "dir", path: `${dir.replace(/\/+$/, "")}/${spec.path}` });
    }
  }
  for (const d of spec.localDirs ?? []) {
    out.push({ kind: "dir", path: `${d.replace(/\/+$/, "")}/${baseName(spec.path)}` });
  }
  return out;
}

function describe(s: Source): string {
  return s.kind === "url" ? s.url : s.path;
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

function dirName(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "." : p.slice(0, i);
}

/** Digests of a file on disk, streamed (sha256 and md5 in one pass). */
export async function hashFile(
  path: string,
): Promise<{ size: number; sha256: string; md5: string }> {
  const sha = createHash("sha256");
  const md5 = createHash("md5");
  let size = 0;
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    sha.update(chunk);
    md5.update(chunk);
    size += chunk.byteLength;
  }
  return { size, sha256: sha.digest("hex"), md5: md5.digest("hex") };
}

/** sha256 of a string or bytes, hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function matches(spec: FileSpec, h: { size: number; sha256: string; md5: string }): boolean {
  return spec.digests.some((d) =>
    d.size === h.size && (d.sha256 === undefined || d.sha256 === h.sha256) &&
    (d.md5 === undefined || d.md5 === h.md5) && (d.sha256 !== undefined || d.md5 !== undefined)
  );
}

function expectedText(spec: FileSpec): string {
  return spec.digests.map((d) =>
    `${d.size.toLocaleString("en-US")} B` + (d.sha256 ? `, sha256 ${d.sha256}` : "") +
    (d.md5 ? `, md5 ${d.md5}` : "")
  ).join(" or ");
}

/** Files at least this large get a `.verified` stamp so they are not re-hashed on every load. */
const STAMP_MIN_BYTES = 64 * 1024 * 1024;

interface Stamp {
  size: number;
  mtimeMs: number;
  sha256: string;
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Checks the cached copy; returns its sha256 when valid, else null (and removes a bad copy). */
async function verifiedCopy(spec: FileSpec, target: string): Promise<string | null> {
  const info = await statOrNull(target);
  if (!info) return null;
  if (!spec.digests.some((d) => d.size === info.size)) {
    await Deno.remove(target);
    return null;
  }
  const stampPath = `${target}.verified`;
  if (info.size >= STAMP_MIN_BYTES) {
    try {
      const stamp = JSON.parse(await Deno.readTextFile(stampPath)) as Stamp;
      if (
        stamp.size === info.size && stamp.mtimeMs === info.mtime?.getTime() &&
        spec.digests.some((d) => d.sha256 === stamp.sha256)
      ) return stamp.sha256;
    } catch {
      // No stamp or an unreadable one: hash the file.
    }
  }
  const h = await hashFile(target);
  if (!matches(spec, h)) {
    await Deno.remove(target);
    await removeIfExists(stampPath);
    return null;
  }
  if (info.size >= STAMP_MIN_BYTES) await writeStamp(target, h.sha256);
  return h.sha256;
}

async function writeStamp(target: string, sha256: string): Promise<void> {
  const info = await Deno.stat(target);
  const stamp: Stamp = { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0, sha256 };
  await Deno.writeTextFile(`${target}.verified`, JSON.stringify(stamp));
}

/** Hosts that failed at the network level in this process; later files skip them at once. */
const deadHosts = new Map<string, string>();

/** Forgets hosts marked unreachable (tests use it between cases). */
export function resetUnreachableHosts(): void {
  deadHosts.clear();
}

class SourceError extends Error {
  constructor(message: string, readonly network = false) {
    super(message);
  }
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
  return `${e.message}${cause}`;
}

/** Renders bytes/rate/ETA progress on stderr: one rewritten line on a terminal, sparse lines otherwise. */
export function stderrProgress(): (p: DownloadProgress) => void {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const starts = new Map<string, { t: number; done0: number; lastT: number; lastFrac: number }>();
  return (p) => {
    const now = performance.now();
    let s = starts.get(p.name);
    if (!s) {
      s = { t: now, done0: p.done, lastT: -Infinity, lastFrac: -1 };
      starts.set(p.name, s);
    }
    const finished = p.done >= p.total;
    const frac = p.total > 0 ? p.done / p.total : 0;
    if (tty) {
      if (!finished && now - s.lastT < 100) return;
    } else if (!finished && now - s.lastT < 10_000 && frac - s.lastFrac < 0.1) return;
    s.lastT = now;
    s.lastFrac = frac;
    const secs = Math.max((now - s.t) / 1000, 1e-3);
    const rate = (p.done - s.done0) / secs;
    const eta = rate > 0 ? (p.total - p.done) / rate : Infinity;
    const amount = p.unit === "bytes"
      ? `${mib(p.done)}/${mib(p.total)} MiB, ${mib(rate)} MiB/s`
      : `${p.done}/${p.total} ${p.unit}, ${rate.toFixed(0)} ${p.unit}/s`;
    const etaText = finished ? "done" : Number.isFinite(eta) ? `ETA ${fmtSecs(eta)}` : "ETA ?";
    const line = `${p.name}: ${(100 * frac).toFixed(1)}% (${amount}) ${etaText}`;
    if (tty) {
      Deno.stderr.writeSync(enc.encode(`\r\x1b[K${line}${finished ? "\n" : ""}`));
    } else Deno.stderr.writeSync(enc.encode(`${line}\n`));
    if (finished) starts.delete(p.name);
  };
}

function mib(b: number): string {
  return (b / 1048576).toFixed(1);
}

function fmtSecs(s: number): string {
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/**
 * Copies `spec` from an http(s) source into `tmp`, resuming from the bytes already
 * in `tmp` with a `Range` request. Throws {@link SourceError}; leaves partial bytes
 * in `tmp` so that a retry can resume.
 */
async function fetchToTmp(
  url: string,
  tmp: string,
  expectedSize: number,
  report: (done: number) => void,
  stallSeconds: number,
): Promise<void> {
  const have = (await statOrNull(tmp))?.size ?? 0;
  if (have > expectedSize) await Deno.remove(tmp);
  const start = have > expectedSize ? 0 : have;
  const ctrl = new AbortController();
  let timer = setTimeout(() => ctrl.abort(), stallSeconds * 1000);
  const headers: Record<string, string> = {};
  if (start > 0) headers["Range"] = `bytes=${start}-`;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: ctrl.signal });
  } catch (e) {
    clearTimeout(timer);
    throw new SourceError(`network error: ${errorText(e)}`, true);
  }
  try {
    if (start > 0 && res.status === 416) {
      await res.body?.cancel();
      if (start === expectedSize) return; // Already complete; verification decides.
      await Deno.remove(tmp);
      throw new SourceError(`HTTP 416 for a resume from byte ${start}; partial copy discarded`);
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new SourceError(`HTTP ${res.status} ${res.statusText}`.trim());
    }
    let offset = 0;
    if (res.status === 206) {
      const m = /bytes (\d+)-/.exec(res.headers.get("content-range") ?? "");
      offset = m ? Number(m[1]) : -1;
      if (offset !== start) {
        await res.body?.cancel();
        await Deno.remove(tmp);
        throw new SourceError(
          `server answered a Range request from byte ${start} with Content-Range ` +
            `"${res.headers.get("content-range")}"; partial copy discarded`,
        );
      }
    }
    if (!res.body) throw new SourceError("empty response body");
    using file = await Deno.open(tmp, {
      write: true,
      create: true,
      append: offset > 0,
      truncate: offset === 0,
    });
    let done = offset;
    try {
      for await (const chunk of res.body) {
        clearTimeout(timer);
        timer = setTimeout(() => ctrl.abort(), stallSeconds * 1000);
        let w = 0;
        while (w < chunk.byteLength) w += await file.write(chunk.subarray(w));
        done += chunk.byteLength;
        if (done > expectedSize) {
          throw new SourceError(`server sent more than the expected ${expectedSize} bytes`);
        }
        report(done);
      }
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(
        `connection lost after ${done.toLocaleString("en-US")} of ` +
          `${expectedSize.toLocaleString("en-US")} bytes: ${errorText(e)}`,
        true,
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

async function copyToTmp(path: string, tmp: string): Promise<void> {
  try {
    const info = await statOrNull(path);
    if (!info) throw new SourceError("not found");
    if (!info.isFile) throw new SourceError("not a regular file");
    await Deno.copyFile(path, tmp);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) {
      throw e;
    }
    // The tasks read only the folders deno.json grants: name the flag that grants this one.
    const dir = path.slice(0, path.lastIndexOf("/")) || "/";
    throw new SourceError(
      `no read permission for ${dir}: grant it by running the task's command from deno.json with ` +
        `--allow-read=${dir} added (or -A), e.g. npx -y deno@2.9.6 run -A tasks/data.ts ...`,
    );
  }
}

/** Resume attempts per http source after a dropped connection that made progress. */
const MAX_RESUMES = 5;

/**
 * Makes sure a verified copy of `spec` is in the cache and returns its path.
 * Skips the transfer when a verified copy is already there.
 *
 * @throws {DataUnavailableError} naming the file, every source tried with its
 * failure, and how to supply a copy.
 */
export async function ensureFile(spec: FileSpec, opts: FetchOptions = {}): Promise<string> {
  return (await ensureFileWithHash(spec, opts)).path;
}

/** Like {@link ensureFile}, also returning the file's sha256. */
export async function ensureFileWithHash(
  spec: FileSpec,
  opts: FetchOptions = {},
): Promise<{ path: string; sha256: string }> {
  const dataDir = resolveDataDir(opts.dataDir);
  const target = `${dataDir}/${spec.path}`;
  const cached = await verifiedCopy(spec, target);
  if (cached) return { path: target, sha256: cached };
  await Deno.mkdir(dirName(target), { recursive: true });
  const tmp = `${target}.tmp`;
  const expectedSize = Math.max(...spec.digests.map((d) => d.size));
  const progress = opts.onProgress ?? (opts.quiet ? undefined : stderrProgress());
  const failures: string[] = [];
  for (const source of sourcesFor(spec, mirrorList(opts.mirror))) {
    const where = describe(source);
    let host = "";
    if (source.kind === "url") {
      try {
        host = new URL(source.url).host;
      } catch (e) {
        failures.push(`${where}: not a valid URL (${errorText(e)})`);
        continue;
      }
      const dead = deadHosts.get(host);
      if (dead) {
        failures.push(`${where}: skipped, host unreachable earlier (${dead})`);
        continue;
      }
    }
    let resumes = 0;
    for (;;) {
      try {
        if (source.kind === "url") {
          await fetchToTmp(
            source.url,
            tmp,
            expectedSize,
            (done) => progress?.({ name: spec.path, done, total: expectedSize, unit: "bytes" }),
            opts.stallSeconds ?? 60,
          );
        } else await copyToTmp(source.path, tmp);
        const h = await hashFile(tmp);
        if (!matches(spec, h)) {
          await Deno.remove(tmp);
          throw new SourceError(
            `checksum mismatch: got ${h.size.toLocaleString("en-US")} B, sha256 ${h.sha256}; ` +
              `expected ${expectedText(spec)}`,
          );
        }
        await Deno.rename(tmp, target);
        if (h.size >= STAMP_MIN_BYTES) await writeStamp(target, h.sha256);
        return { path: target, sha256: h.sha256 };
      } catch (e) {
        if (!(e instanceof SourceError)) {
          // Anything else this source did (a mirror path through a file, no permission to read
          // it, ...) is this source's failure too: listed with its reason, and the next is tried.
          await removeIfExists(tmp).catch(() => {});
          failures.push(`${where}: ${errorText(e)}`);
          break;
        }
        const size = (await statOrNull(tmp))?.size ?? 0;
        const droppedMidway = e.network && size > 0;
        if (droppedMidway && resumes < MAX_RESUMES) {
          resumes++;
          continue;
        }
        if (e.network && size === 0 && host) deadHosts.set(host, e.message);
        failures.push(`${where}: ${e.message}`);
        break;
      }
    }
  }
  await removeIfExists(tmp);
  throw new DataUnavailableError(unavailableMessage(spec, failures, target));
}

function unavailableMessage(spec: FileSpec, failures: string[], target: string): string {
  return [
    `Could not obtain ${spec.path} (${expectedText(spec)}). Sources tried:`,
    ...failures.map((f) => `  - ${f}`),
    "To supply a copy: pass --data-mirror URL|DIR (a server or folder holding " +
    `${spec.path}), or set RC_DATA_MIRROR to one, or put the file at ${target}.`,
  ].join("\n");
}

/**
 * {@link ensureFile} for many files with at most `concurrency` transfers at once.
 * Reports progress in files under `label`. Returns paths in the order of `specs`.
 * All files are attempted; the first failure is rethrown with a count of the others.
 */
export async function ensureFiles(
  specs: FileSpec[],
  opts: FetchOptions & { concurrency?: number; label?: string } = {},
): Promise<string[]> {
  const out = new Array<string>(specs.length);
  const errors: unknown[] = [];
  const progress = opts.onProgress ?? (opts.quiet ? undefined : stderrProgress());
  const label = opts.label ?? "files";
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      try {
        out[i] = await ensureFile(specs[i], { ...opts, onProgress: () => {} });
      } catch (e) {
        errors.push(e);
      }
      done++;
      progress?.({ name: label, done, total: specs.length, unit: "files" });
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, specs.length)) }, worker),
  );
  if (errors.length > 0) {
    const first = errors[0];
    if (errors.length === 1) throw first;
    const msg = first instanceof Error ? first.message : String(first);
    throw new DataUnavailableError(
      `${errors.length} of ${specs.length} ${label} could not be obtained; the first:\n${msg}`,
    );
  }
  return out;
}
