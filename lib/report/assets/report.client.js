// deno-fmt-ignore-file
// deno-lint-ignore-file no-var no-window no-inner-declarations no-unused-vars
// The report's client script: draws the charts whose configurations the page embeds (JSON in
// #report-charts) with the inlined Chart.js, then sets window.__reportReady for the browser test.
// lib/report/assets.ts inlines it from the blank line below on, byte for byte; these leading
// comments stay out of the page. Plain ES5 for any browser (var, window); unused parameters are
// fixed by Chart.js's callback signatures.

(function () {
  var specs = JSON.parse(document.getElementById("report-charts").textContent);
  var fmt = function (v) {
    return typeof v === "number" ? (Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(+v.toFixed(2))) : String(v);
  };
  // Each point's label (e.g. its threshold) drawn beside it, where a chart asks for it.
  Chart.register({ id: "pointLabels", afterDatasetsDraw: function (chart, args, o) {
    if (!o || !o.display) return;
    var ctx = chart.ctx;
    ctx.save();
    ctx.font = "10px system-ui, sans-serif";
    ctx.textAlign = "center";
    var boxes = [];  // labels drawn so far: one that would overlap them is left out
    chart.data.datasets.forEach(function (ds, i) {
      var meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      ctx.fillStyle = ds.borderColor;
      meta.data.forEach(function (el, j) {
        var raw = ds.data[j];
        if (!raw || raw.label == null) return;
        var text = String(raw.label), w = ctx.measureText(text).width + 2, y = el.y + (i % 2 ? 14 : -7);
        var box = { l: el.x - w / 2, r: el.x + w / 2, t: y - 10, b: y + 1 };
        if (boxes.some(function (o) { return box.l < o.r && box.r > o.l && box.t < o.b && box.b > o.t; })) return;
        boxes.push(box);
        ctx.fillText(text, el.x, y);
      });
    });
    ctx.restore();
  } });
  var drawn = 0;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var cfg = specs[Number(canvas.getAttribute("data-chart"))];
    cfg.options.plugins = cfg.options.plugins || {};
    cfg.options.plugins.tooltip = { callbacks: { label: function (ctx) {
      var raw = ctx.raw || {};
      var x = cfg.type === "bar" ? ctx.label : fmt(ctx.parsed.x);
      var theta = raw && raw.theta != null ? "  θ = " + raw.theta : "";
      return (ctx.dataset.label || "") + ": (" + x + ", " + fmt(ctx.parsed.y) + ")" + theta;
    } } };
    // Numeric category labels: only multiples of a step (0 among them), so that 0 has a tick.
    var x = cfg.options.scales && cfg.options.scales.x;
    if (x && x.ticks && x.ticks.multipleOf) {
      var step = x.ticks.multipleOf, labels = cfg.data.labels || [];
      x.ticks.callback = function (v, i) { var l = labels[i]; return Number(l) % step === 0 ? String(l) : null; };
    }
    // Datasets with an empty label (a band's lower edge) stay out of the legend where asked.
    var legend = cfg.options.plugins.legend;
    if (legend && legend.labels && legend.labels.skipEmpty) {
      legend.labels.filter = function (item) { return item.text !== ""; };
    }
    try { new Chart(canvas, cfg); drawn++; } catch (e) { console.error("Chart " + canvas.getAttribute("data-chart") + " failed: " + e); }
  });
  // θ sliders (lib/report/slider.ts): each stop is a θ the runs recorded; show their numbers there.
  document.querySelectorAll("[data-theta-slider]").forEach(function (box) {
    var data = JSON.parse(box.querySelector("script[type='application/json']").textContent);
    var input = box.querySelector("input[type=range]"), out = box.querySelector("output");
    var rows = box.querySelectorAll("tr[data-row]");
    var show = function () {
      var i = Math.max(0, Math.min(data.thetas.length - 1, Math.round(Number(input.value))));
      var theta = "θ = " + data.thetas[i];
      out.textContent = theta;
      input.setAttribute("aria-valuetext", theta);
      for (var r = 0; r < rows.length; r++) {
        var cell = data.rows[Number(rows[r].getAttribute("data-row"))].cells[i];
        ["accuracy", "time", "fired"].forEach(function (k) {
          rows[r].querySelector("[data-k=" + k + "] .num").textContent = cell[k];
        });
      }
    };
    input.addEventListener("input", show);
    input.addEventListener("change", show);
  });
  window.__chartsDrawn = drawn;
  requestAnimationFrame(function () { requestAnimationFrame(function () { window.__reportReady = true; }); });
})();
