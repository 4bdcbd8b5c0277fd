/**
 * The paper's experiments: re-exported from `lib/experiments/registry.ts` (one file per
 * experiment in `lib/experiments/`).
 * @module
 */
export {
  experimentById,
  type ExperimentDeclaration,
  EXPERIMENTS,
  type RunContext,
  type RunDeclaration,
} from "../lib/experiments/registry.ts";
