/**
 * A run's checkpoint in its work folder (`<workDir>/<run>.<config hash>.ckpt`, fit()'s whole
 * state at a validation point, lib/rc/checkpoint.ts): what fit() resumes from and how it saves,
 * shared by the experiments whose runs last long enough to be killed (keyword spotting, temporal
 * MNIST). A checkpoint of another config is ignored (its hash is in the name and the header).
 * @module
 */
import { type FitState, loadFitState, saveFitState } from "../rc/checkpoint.ts";
import type { RunContext } from "./declaration.ts";

export interface RunCheckpoint {
  /** The file, or null when the caller keeps no files (no work folder). */
  path: string | null;
  /** The saved state to resume from, if any. */
  resume?: FitState;
  /** fit()'s `checkpoint` option. */
  save?: (state: FitState) => Promise<void>;
  /** Removes the file (once the run file is written). */
  remove(): Promise<void>;
}

/** Opens `ctx`'s checkpoint for its run; logs a resume with `where(batch)` ("epoch 3", ...). */
export async function openCheckpoint(
  ctx: RunContext,
  where: (batchesDone: number) => string,
): Promise<RunCheckpoint> {
  if (!ctx.workDir) return { path: null, remove: async () => {} };
  const path = `${ctx.workDir}/${ctx.run}.${ctx.configHash.slice(0, 12)}.ckpt`;
  await Deno.mkdir(ctx.workDir, { recursive: true });
  const saved = await loadFitState(path);
  const resume = saved && saved.meta.configHash === ctx.configHash ? saved.state : undefined;
  if (resume) {
    ctx.log(`${ctx.run}: resuming from the checkpoint after ${where(resume.batch)} (${path})`);
  }
  return {
    path,
    resume,
    save: (state) => saveFitState(path, state, { configHash: ctx.configHash, run: ctx.run }),
    remove: () => Deno.remove(path).catch(() => {}),
  };
}
