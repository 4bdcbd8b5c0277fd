import assert from "node:assert/strict";
import { methodOfLabel } from "../../lib/report/charts.ts";

Deno.test("methodOfLabel: RC, EOS and the paper's 'non-RC' (EOS) in series labels", () => {
  assert.equal(methodOfLabel("RC β 0.2"), "rc");
  assert.equal(methodOfLabel("RC-trained"), "rc");
  assert.equal(methodOfLabel("EOS read-out"), "eos");
  assert.equal(methodOfLabel("EOS (non-RC) β 0, RC-inference"), null); // names both
  assert.equal(methodOfLabel("EOS (non-RC) β 0.3"), "eos");
  assert.equal(methodOfLabel("non-RC composite frontier"), "eos");
  assert.equal(methodOfLabel("θ_train 0.9"), null);
});
