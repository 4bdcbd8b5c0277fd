/**
 * Run records: one self-describing JSON file per training run, the only input of the report.
 * Its schema (results/schema.ts, zod) checks every file read or written; the record types
 * (results/types.ts) are inferred from it; results/store.ts reads and publishes the files.
 *
 * Layout on disk: `OUT/runs/<experiment>/<run>.json`. A run is found again by its `configHash`
 * (sha256 of the canonical JSON of its config and profile), so `reproduce` skips finished work.
 *
 * Conventions used in every record:
 * - time steps are counted from 1 when reported ("spiked after 14 steps" = step index 13);
 *   `meanSpikeTime` is the mean number of input steps consumed before the decision;
 * - accuracies are fractions in [0, 1];
 * - step counts in `compute` are example-steps (one example through one time step);
 * - a number not measured (NaN in memory, e.g. every metric of a failed run) is null on disk.
 * @module
 */
export * from "./results/types.ts";
export * from "./results/schema.ts";
export * from "./results/store.ts";
