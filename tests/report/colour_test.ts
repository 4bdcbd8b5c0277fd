import assert from "node:assert/strict";
import {
  EOS_COLOUR,
  methodOfLabel,
  OTHER_COLOURS,
  RC_COLOUR,
  RC_SHADES,
  runStyles,
  seriesStyles,
} from "../../lib/report/colour.ts";
import { fixtureRuns } from "./fixtures.ts";

Deno.test("methodOfLabel: RC, EOS and the paper's 'non-RC' (EOS) in series labels", () => {
  assert.equal(methodOfLabel("RC β 0.2"), "rc");
  assert.equal(methodOfLabel("RC-trained"), "rc");
  assert.equal(methodOfLabel("EOS read-out"), "eos");
  assert.equal(methodOfLabel("EOS (non-RC) β 0, RC-inference"), null); // names both
  assert.equal(methodOfLabel("EOS (non-RC) β 0.3"), "eos");
  assert.equal(methodOfLabel("non-RC composite frontier"), "eos");
  assert.equal(methodOfLabel("θ_train 0.9"), null);
});

/** Relative luminance of a "#rrggbb" colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

Deno.test("series of one method are told apart: own colours, then dashes; markers differ", () => {
  // Fig. 5A: five RC β curves and five of the paper's red curve (β varied at a fixed θ).
  const labels = [
    ...[0, 0.1, 0.2, 0.3, 0.4].map((b) => `RC β ${b}`),
    ...[0.8, 0.85, 0.9, 0.95, 0.975].map((t) => `red: RC, β varied at θ ${t}`),
  ];
  const styles = seriesStyles(labels);
  assert.equal(styles[0].colour, RC_COLOUR, "the first RC series keeps the RC colour");
  const firstFive = styles.slice(0, 5).map((s) => s.colour);
  assert.equal(new Set(firstFive).size, 5, "five β curves, five colours");
  // No two of them near-identical: far apart in luminance or hue (not one blue five times).
  for (let i = 0; i < 5; i++) {
    for (let j = i + 1; j < 5; j++) {
      const [a, b] = [firstFive[i], firstFive[j]];
      const dl = Math.abs(luminance(a) - luminance(b));
      const hue = (h: string) => {
        const [r, g, bl] = [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
        return Math.atan2(Math.sqrt(3) * (g - bl), 2 * r - g - bl);
      };
      assert.ok(dl > 0.04 || Math.abs(hue(a) - hue(b)) > 0.25, `${a} and ${b} too alike`);
    }
  }
  const pairs = styles.map((s) => `${s.colour}|${s.dash.join(",")}`);
  assert.equal(new Set(pairs).size, 10, "ten series, ten colour-and-dash pairs");
  assert.equal(new Set(styles.map((s) => s.pointStyle)).size >= 5, true);
  // EOS's family and the others' keep their meaning: no blue or red outside RC and EOS.
  assert.equal(seriesStyles(["EOS (non-RC) β 0"])[0].colour, EOS_COLOUR);
  assert.ok(!OTHER_COLOURS.some((c) => RC_SHADES.includes(c)));
});

Deno.test("runStyles: the seeds of a configuration share one style", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  const rc2 = { ...rc, run: "rc-s2", seed: 2 };
  const other = { ...rc, run: "rc-b", config: { ...rc.config, beta: 0.3 } };
  const styles = runStyles([rc, eos, rc2, other]);
  assert.equal(styles.get(rc2), styles.get(rc));
  assert.notEqual(styles.get(other)!.colour, styles.get(rc)!.colour);
  assert.equal(styles.get(eos)!.colour, EOS_COLOUR);
});
