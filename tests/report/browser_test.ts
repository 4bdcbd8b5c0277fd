import assert from "node:assert/strict";
import { writeReport } from "../../lib/report/write.ts";
import { EXPERIMENTS } from "../../lib/experiments/registry.ts";
import { pct, steps } from "../../lib/report/format.ts";
import { Browser, CHROMIUM, hasChromium } from "./cdp.ts";
import { fixtureBenchJson, writeFixtureRuns } from "./fixtures.ts";
import type { RunRecord } from "../../lib/results.ts";

const chromiumMissing = !hasChromium();
if (chromiumMissing) {
  console.log(
    `report browser test skipped: no ${CHROMIUM} on PATH (Debian: apt-get install -y chromium)`,
  );
}

/** Counts, for every canvas, pixels that are neither transparent nor near-white. */
const COUNT_INK = `(() => [...document.querySelectorAll("canvas")].map((c) => {
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && !(d[i] > 245 && d[i + 1] > 245 && d[i + 2] > 245)) ink++;
  }
  return { id: c.getAttribute("data-chart"), label: c.getAttribute("aria-label"), w: c.width, h: c.height, ink };
}))()`;

/** Tables wider than the box they sit in (their wrapper), as "class: width/box". */
const WIDE_TABLES = `[...document.querySelectorAll("table")]
  .filter((t) => t.getClientRects().length > 0 && t.scrollWidth > t.parentElement.clientWidth + 1)
  .map((t) => t.className + ": " + t.scrollWidth + "/" + t.parentElement.clientWidth)`;

/**
 * camelCase words (two or more lower-case letters, then a capital: "peakRssMiB", not the unit
 * "kHz") in rendered text outside code, pre, script and style.
 */
const VISIBLE_CAMEL_CASE = `(() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest("code, pre, script, style") || el.getClientRects().length === 0) continue;
    for (const m of n.textContent.matchAll(/\\b[a-z]{2,}[A-Z][A-Za-z]*\\b/g)) out.push(m[0]);
  }
  return [...new Set(out)];
})()`;

/** The θ slider the test moves: two-sequence's, in its section "fig2". */
const SLIDER = "theta-fig2-two-sequence";

/** Sets the slider to the stop of θ (from its embedded data), as a drag would: input, change. */
const setSlider = (theta: number) =>
  `(() => {
  const box = document.getElementById("${SLIDER}");
  const data = JSON.parse(box.querySelector("script[type='application/json']").textContent);
  const input = box.querySelector("input[type=range]");
  input.value = String(data.thetas.indexOf(${theta}));
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.dispatchEvent(new Event("change", { bubbles: true }));
})()`;

/** One press of the right arrow key (moves a focused range input one stop up). */
const ARROW_RIGHT = { key: "ArrowRight", code: "ArrowRight", windowsVirtualKeyCode: 39 };

/** The slider's shown θ, its aria-valuetext, and per run (by name) its three numbers. */
const SLIDER_TEXT = `(() => {
  const box = document.getElementById("${SLIDER}");
  const out = {
    theta: [box.querySelector("output").textContent],
    valuetext: [box.querySelector("input").getAttribute("aria-valuetext")],
  };
  for (const tr of box.querySelectorAll("tr[data-row]")) {
    out[tr.querySelector("th code").textContent] =
      ["accuracy", "time", "fired"].map((k) => tr.querySelector("[data-k=" + k + "]").textContent);
  }
  return out;
})()`;

/** The slider shows θ and, for each two-sequence run, its curve's numbers at θ. */
async function checkSlider(b: Browser, runs: RunRecord[], theta: number, name: string) {
  const shown = await b.evaluate<Record<string, string[]>>(SLIDER_TEXT);
  assert.deepEqual([shown.theta, shown.valuetext], [[`θ = ${theta}`], [`θ = ${theta}`]], name);
  for (const r of runs.filter((x) => x.experiment === "two-sequence")) {
    const p = r.metrics.thresholdCurve.find((q) => q.threshold === theta)!;
    assert.deepEqual(
      shown[r.run],
      [pct(p.accuracy), steps(p.meanSpikeTime), pct(p.fractionFired)],
      `${name}: ${r.run} at θ = ${theta}`,
    );
  }
}

/** θ sliders that reach past the viewport or scroll inside, as "id: right edge / width". */
const SLIDER_OVERFLOW = `[...document.querySelectorAll("[data-theta-slider]")]
  .filter((s) => s.getBoundingClientRect().right > document.documentElement.clientWidth + 1 ||
    s.scrollWidth > s.clientWidth + 1)
  .map((s) => s.id + ": " + Math.round(s.getBoundingClientRect().right) + " / " +
    document.documentElement.clientWidth)`;

Deno.test({
  name: "report opens offline in headless Chromium, draws every chart, logs no errors",
  ignore: chromiumMissing,
  sanitizeResources: true,
  sanitizeOps: true,
  async fn() {
    const started = Date.now();
    const out = await Deno.makeTempDir({ prefix: "report-browser-" });
    // Screenshots are kept (small) so a person can look at them; everything else is removed.
    const shots = await Deno.makeTempDir({ prefix: "report-screenshots-" });
    let browser: Browser | null = null;
    try {
      const runs = await writeFixtureRuns(out);
      await Deno.mkdir(`${out}/bench`, { recursive: true });
      await Deno.writeTextFile(`${out}/bench/latest.json`, fixtureBenchJson());
      const { html } = await writeReport(out, {
        generatedAt: "2026-11-22T12:00:00.000Z",
        experiments: EXPERIMENTS.map((e) =>
          e.id === "snn-lif" ? { ...e, pending: "needs its run code" } : e
        ),
      });
      const url = new URL(`file://${html}`).href;

      const b = await Browser.launch({ timeoutMs: 15_000 });
      browser = b;
      for (
        const [name, width, height, mobile] of [
          ["desktop", 1280, 900, false],
          ["narrow-390", 390, 844, true],
        ] as const
      ) {
        await b.viewport(width, height, mobile);
        await b.goto(url, 10_000);
        await b.until("window.__reportReady === true", 10_000);

        const canvases = await b.evaluate<
          { id: string; label: string; w: number; h: number; ink: number }[]
        >(COUNT_INK);
        const expected = await b.evaluate<number>("window.__chartsDrawn");
        assert(canvases.length >= 8, `expected at least 8 charts, found ${canvases.length}`);
        assert.deepEqual(expected, canvases.length, "every canvas should get a chart");
        for (const c of canvases) {
          assert(c.w > 0 && c.h > 0, `${name}: canvas ${c.id} (${c.label}) has no size`);
          assert(c.ink > 0, `${name}: canvas ${c.id} (${c.label}) drew nothing`);
        }

        // Every table fits its box (narrow screens stack rows into cards).
        const wide = await b.evaluate<string[]>(WIDE_TABLES);
        assert.deepEqual(wide, [], `${name}: tables wider than their box`);
        // One caption per figure, none repeated.
        const captions = await b.evaluate<string[]>(
          `[...document.querySelectorAll("figcaption")].map((f) => f.innerText.trim())`,
        );
        assert(captions.length >= 8, `${name}: only ${captions.length} captions`);
        const repeated = captions.filter((c, i) => captions.indexOf(c) !== i);
        assert.deepEqual(repeated, [], `${name}: repeated captions`);
        // Every run links to its run file, and the file is there.
        const hrefs = await b.evaluate<string[]>(
          `[...new Set([...document.querySelectorAll("a.runfile")].map((a) => a.href))]`,
        );
        assert.equal(hrefs.length, runs.length, `${name}: one run-file link per run`);
        for (const h of hrefs) {
          const stat = await Deno.stat(new URL(h)).catch(() => null);
          assert(stat?.isFile, `${name}: ${h} is linked but is no file`);
        }
        // No camelCase key in the visible text outside code.
        const camel = await b.evaluate<string[]>(VISIBLE_CAMEL_CASE);
        assert.deepEqual(camel, [], `${name}: camelCase keys visible`);

        const text = await b.evaluate<string>("document.body.innerText");
        const rc = runs.find((r) => r.experiment === "two-sequence" && r.run === "rc")!;
        for (
          const needle of [pct(rc.metrics.testAccuracy), steps(rc.metrics.meanSpikeTime), "60.58 %"]
        ) {
          assert(text.includes(needle), `${name}: page text lacks ${needle}`);
        }
        assert(text.includes("software adapter: timings not representative of a GPU"));
        // An experiment not built yet is labelled so, with no command that would fail.
        assert(
          text.includes("snn-lif: not built yet"),
          `${name}: snn-lif is not labelled "not built yet"`,
        );
        assert(!text.includes("deno task reproduce --only snn-lif"), `${name}: a failing command`);

        // The θ slider of two-sequence, moved as a drag moves it (input and change events), then
        // by the right arrow key: it shows the runs' numbers recorded at the new θ.
        await b.evaluate(setSlider(0.8));
        await checkSlider(b, runs, 0.8, name);
        await b.evaluate(`document.getElementById("${SLIDER}-input").focus()`);
        for (const type of ["keyDown", "keyUp"]) {
          await b.page("Input.dispatchKeyEvent", { type, ...ARROW_RIGHT });
        }
        await checkSlider(b, runs, 0.85, name);
        const sliderOverflow = await b.evaluate<string[]>(SLIDER_OVERFLOW);
        assert.deepEqual(sliderOverflow, [], `${name}: θ sliders wider than the page`);

        // Tables scroll inside their wrappers; the page itself must not scroll sideways.
        const overflow = await b.evaluate<number>(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        assert(overflow <= 1, `${name}: page is ${overflow}px wider than the viewport`);

        await b.screenshot(`${shots}/${name}-top.png`);
        await b.screenshot(`${shots}/${name}-full.png`, true);
      }
      assert.deepEqual(b.log.errors, [], "console errors");
      const external = b.log.requests.filter((u) => !/^(file|data|blob|about):/.test(u));
      assert.deepEqual(external, [], "the report must make no network requests");
      console.log(`report screenshots: ${shots} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } finally {
      await browser?.close();
      await Deno.remove(out, { recursive: true });
    }
  },
});
