/**
 * Where the tests find the real data sets: `../shared/data` beside the repository (see its
 * README), wherever the checkout lives. A plain clone has no `../shared`: the tests that read it
 * are then skipped with the reason printed once ({@link sharedTest}), and every other test runs.
 * @module
 */
export const SHARED_DATA: string = decodeURIComponent(
  new URL("../../shared/data", import.meta.url).pathname,
);

function absentReason(): string | null {
  try {
    return Deno.statSync(`${SHARED_DATA}/mnist`).isDirectory
      ? null
      : `${SHARED_DATA}/mnist is not a folder`;
  } catch {
    return `no ${SHARED_DATA} beside the repository (only the project's CI has it)`;
  }
}

/** Why the tests on `../shared/data` are skipped here, or null when it is present. */
export const noSharedReason: string | null = absentReason();

let told = false;

/**
 * `Deno.test` for a test that reads `../shared/data`: ignored, with the reason printed once per
 * module, when it is absent.
 */
export function sharedTest(
  nameOrDef: string | Deno.TestDefinition,
  fn?: (t: Deno.TestContext) => void | Promise<void>,
): void {
  const def: Deno.TestDefinition = typeof nameOrDef === "string"
    ? { name: nameOrDef, fn: fn! }
    : nameOrDef;
  if (noSharedReason && !told) {
    told = true;
    console.error(`tests on real data skipped: ${noSharedReason}`);
  }
  Deno.test({ ...def, ignore: def.ignore || noSharedReason !== null });
}
