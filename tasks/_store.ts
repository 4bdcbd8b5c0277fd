/**
 * Claims on runs in a shared run store, so that two workers (processes on one machine, or array
 * tasks on many) do not both train one run.
 *
 * A claim is a file `OUT/runs/<experiment>/<run>.claim` holding the claimant's writer id, pid,
 * host, config hash and an expiry. It is created exclusively; its holder renews the expiry every
 * third of the lease while it trains and removes it when done. A claim whose expiry has passed
 * (its holder died or hung) may be taken over by another worker. Takeover and renewal are not a
 * perfect mutual exclusion on a shared filesystem (a holder that stalls past its lease can find
 * its claim taken): then both train, and the run store's publish (lib/results.ts `storeRun`)
 * keeps the first finished result, intact, and the second worker reports that it kept it.
 *
 * `RC_STORE_LEASE_MS` sets the lease (default 120 s).
 * @module
 */
import { envValue, hostName, WRITER_ID } from "../lib/results.ts";

/** What a claim file holds. */
export interface ClaimInfo {
  writer: string;
  pid: number;
  host: string;
  configHash: string;
  claimedAt: string;
  /** Milliseconds since the epoch after which the claim may be taken over. */
  expiresAt: number;
}

/** The lease: `RC_STORE_LEASE_MS`, default 120 s. */
export function leaseMs(): number {
  const v = Number(envValue("RC_STORE_LEASE_MS") ?? NaN);
  return Number.isFinite(v) && v >= 100 ? v : 120_000;
}

/** Path of a run's claim file. */
export function claimPath(outDir: string, experiment: string, run: string): string {
  return `${outDir}/runs/${experiment}/${run}.claim`;
}

async function readClaim(path: string): Promise<ClaimInfo | "unreadable" | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    const c = JSON.parse(text);
    return typeof c.writer === "string" && typeof c.expiresAt === "number" ? c : "unreadable";
  } catch {
    return "unreadable"; // being written right now, or damaged
  }
}

/** A claim this process holds: renewed on a timer until `release()`. */
export class Claim {
  #timer: ReturnType<typeof setInterval> | undefined;
  #lost = false;
  #renewing: Promise<void> = Promise.resolve();

  constructor(readonly path: string, readonly info: ClaimInfo, readonly lease: number) {
    this.#timer = setInterval(() => {
      this.#renewing = this.#renew();
    }, Math.max(50, lease / 3));
  }

  /** True once another worker took the claim over (this one stalled past its lease). */
  get lost(): boolean {
    return this.#lost;
  }

  async #renew(): Promise<void> {
    if (this.#lost) return;
    try {
      const now = await readClaim(this.path);
      if (!now || now === "unreadable" || now.writer !== this.info.writer) {
        this.#lost = true;
        return;
      }
      const tmp = `${this.path}.${WRITER_ID}.tmp`;
      await Deno.writeTextFile(
        tmp,
        JSON.stringify({ ...this.info, expiresAt: Date.now() + this.lease }),
      );
      await Deno.rename(tmp, this.path);
    } catch { /* the next renewal tries again; the lease leaves two more chances */ }
  }

  /** Stops renewing and removes the claim file if it is still ours. */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    const now = await readClaim(this.path).catch(() => null);
    if (now && now !== "unreadable" && now.writer === this.info.writer) {
      await Deno.remove(this.path).catch(() => {});
    }
  }
}

/**
 * Claims a run for this process. Returns the Claim, or the claim of the live worker that holds
 * it. An expired claim is taken over.
 */
export async function tryClaim(
  outDir: string,
  experiment: string,
  run: string,
  configHash: string,
): Promise<Claim | { heldBy: ClaimInfo }> {
  const path = claimPath(outDir, experiment, run);
  const lease = leaseMs();
  await Deno.mkdir(`${outDir}/runs/${experiment}`, { recursive: true });
  const host = hostName() ?? "unknown host";
  for (let attempt = 0; attempt < 20; attempt++) {
    const info: ClaimInfo = {
      writer: WRITER_ID,
      pid: Deno.pid,
      host,
      configHash,
      claimedAt: new Date().toISOString(),
      expiresAt: Date.now() + lease,
    };
    try {
      const f = await Deno.open(path, { write: true, createNew: true });
      try {
        await f.write(new TextEncoder().encode(JSON.stringify(info)));
      } finally {
        f.close();
      }
      return new Claim(path, info, lease);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const held = await readClaim(path);
    if (held === null) continue; // released meanwhile
    let expired: boolean;
    if (held === "unreadable") {
      // Just created and not yet written, or damaged: stale only when older than a lease.
      const mtime = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? Date.now();
      expired = Date.now() - mtime > lease;
    } else {
      expired = held.expiresAt < Date.now();
    }
    if (!expired) {
      if (held === "unreadable") {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      return { heldBy: held };
    }
    // Take over: move the expired claim aside under a name of our own (one rename wins), check
    // that what we moved is the expired claim and not a fresh one that replaced it meanwhile.
    const aside = `${path}.${WRITER_ID}.expired`;
    try {
      await Deno.rename(path, aside);
    } catch {
      continue;
    }
    const moved = await readClaim(aside);
    if (moved && moved !== "unreadable" && moved.expiresAt >= Date.now()) {
      await Deno.link(aside, path).catch(() => {}); // a fresh claim: put it back
      await Deno.remove(aside).catch(() => {});
      return { heldBy: moved };
    }
    await Deno.remove(aside).catch(() => {});
  }
  throw new Error(`Could not claim ${path}: it kept changing (20 attempts)`);
}
