// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID">: {type, labels,
// datasets: [{label, data}], unit, xTitle, yTitle}. One palette and one look for every chart.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var palette = ["#0f766e", "#2563eb", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#65a30d", "#db2777", "#64748b", "#ea580c", "#4f46e5"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#4b5563";

  function number(value, unit) {
    var text = Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 });
    return unit ? text + " " + unit : text;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.datasets.map(function (set, index) {
      var colour = palette[index % palette.length];
      return Object.assign(
        {
          backgroundColor: round ? palette : colour,
          borderColor: round ? "#fff" : colour,
          borderWidth: round ? 2 : 0,
          borderRadius: round ? 0 : 3,
          maxBarThickness: 36,
        },
        set
      );
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: round || datasets.length > 1, position: round ? "right" : "top" },
        tooltip: {
          callbacks: {
            label: function (item) {
              var value = round ? item.parsed : item.parsed.y;
              return " " + (item.dataset.label || item.label) + ": " + number(value, spec.unit);
            },
          },
        },
      },
    };
    if (round) {
      options.plugins.tooltip.callbacks.title = function (items) { return items[0].label; };
    } else {
      options.scales = {
        x: { grid: { display: false }, title: { display: !!spec.xTitle, text: spec.xTitle } },
        y: {
          beginAtZero: true,
          title: { display: !!spec.yTitle, text: spec.yTitle },
          ticks: { callback: function (value) { return number(value, ""); } },
        },
      };
    }
    new Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options });
  });
})();
