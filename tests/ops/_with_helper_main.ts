/**
 * The subprocess of tests/ops/_with_helper.ts: starts the wasm backend (its helper thread on), runs
 * one exported check of a test file in tests/ops and prints "<check>: passed". A file of its own:
 * the test files import _with_helper.ts, and an entry point they import would wait on itself.
 *
 *   deno run -A tests/ops/_with_helper_main.ts <test file in tests/ops> <exported check>
 * @module
 */
import { initBackend } from "../../lib/backend.ts";
import { blasHelper, blasHelperStatus } from "../../lib/ops/blas_helper.ts";

const [file, name] = Deno.args;
await initBackend("wasm", { quiet: true });
if (!blasHelper()) throw new Error(`${name}: the helper did not start (${blasHelperStatus()})`);
const module = await import(new URL(`./${file}`, import.meta.url).href);
await (module[name] as () => Promise<void>)();
console.log(`${name}: passed`);
Deno.exit(0);
