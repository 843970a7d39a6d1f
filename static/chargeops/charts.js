// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID">: {type, labels,
// datasets: [{label, data}], unit, xTitle, yTitle, stacked, zeroBased (default true), yMax}. One
// palette and one look for every chart.
// window.chargeopsCharts(root, options) draws the charts under `root` again (a section that
// refreshes by itself).
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var palette = ["#0f766e", "#2563eb", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#65a30d", "#db2777", "#64748b", "#ea580c", "#4f46e5"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#4b5563";

  // Numbers in the page's language (<html lang>), as the server formats them, not the browser's.
  var locale = document.documentElement.lang || "en";
  Chart.defaults.locale = locale;

  function number(value, unit) {
    var text = Number(value).toLocaleString(locale, { maximumFractionDigits: 2 });
    return unit ? text + " " + unit : text;
  }

  function dataset(set, index, type, points) {
    var colour = palette[index % palette.length];
    var look = {
      doughnut: { backgroundColor: palette, borderColor: "#fff", borderWidth: 2 },
      // Points on a line of a few dozen values (one value alone is a point, not a line).
      line: { backgroundColor: colour, borderColor: colour, borderWidth: 2, pointRadius: points <= 40 ? 3 : 0, tension: 0.25, spanGaps: false },
      bar: { backgroundColor: colour, borderColor: colour, borderWidth: 0, borderRadius: 3, maxBarThickness: 36 },
    }[type === "pie" ? "doughnut" : type] || {};
    return Object.assign(look, set);
  }

  function draw(canvas, extra) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.datasets.map(function (set, index) { return dataset(set, index, spec.type, spec.labels.length); });
    var options = Object.assign({
      responsive: true,
      maintainAspectRatio: false,
      interaction: spec.type === "line" ? { mode: "index", intersect: false } : undefined,
      plugins: {
        // A round chart's legend beside it, in one column while that fits the chart's height.
        legend: { display: round || datasets.length > 1, position: round && spec.labels.length <= 8 ? "right" : "top" },
        tooltip: {
          callbacks: {
            label: function (item) {
              var value = round ? item.parsed : item.parsed.y;
              return " " + (item.dataset.label || item.label) + ": " + number(value, spec.unit);
            },
          },
        },
      },
    }, extra || {});
    if (round) {
      options.plugins.tooltip.callbacks.title = function (items) { return items[0].label; };
    } else {
      // Counts (every value whole) step by whole numbers, not "2.5 faults".
      var whole = spec.datasets.every(function (set) {
        return set.data.every(function (value) { return value === null || Number.isInteger(value); });
      });
      options.scales = {
        x: {
          grid: { display: false },
          title: { display: !!spec.xTitle, text: spec.xTitle },
          ticks: { autoSkip: true, maxRotation: 45 },
        },
        y: {
          beginAtZero: spec.zeroBased !== false,
          max: spec.yMax,
          title: { display: !!spec.yTitle, text: spec.yTitle },
          ticks: { precision: whole ? 0 : undefined, callback: function (value) { return number(value, ""); } },
        },
      };
      if (spec.stacked) {
        options.scales.x.stacked = options.scales.y.stacked = true;
      }
    }
    new Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options });
  }

  window.chargeopsCharts = function (root, extra) {
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) { draw(canvas, extra); });
  };
  window.chargeopsCharts(document);
})();
