/**
 * The paper's experiments: re-exported from `lib/experiments/registry.ts` (one file per
 * experiment in `lib/experiments/`). Every task that runs one comes through here, so lib/accel's
 * accelerators register with the path chooser here.
 * @module
 */
import "../lib/accel/register.ts";
export {
  experimentById,
  type ExperimentDeclaration,
  EXPERIMENTS,
  type RunContext,
  type RunDeclaration,
} from "../lib/experiments/registry.ts";
