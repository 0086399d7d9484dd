// Draws each dashboard chart from the JSON the page embeds next to its canvas
// (templates/admin/analytics/dashboards.html). Chart.js is vendored in static/vendor/chartjs.
(function () {
  "use strict";

  var COLOURS = ["#0b6e4f", "#e07a1f", "#c0392b", "#2c7fb8", "#7b4f9d", "#6b8e23"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var line = spec.type === "line";
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = { beginAtZero: true };
    if (spec.percent) {
      scales[valueAxis].ticks = {
        callback: function (value) {
          return value + "%";
        },
      };
    }
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, index) {
          var colour = COLOURS[index % COLOURS.length];
          return {
            label: set.label,
            data: set.data,
            borderColor: colour,
            backgroundColor: line ? colour : colour + "cc",
            pointRadius: line && spec.labels.length > 60 ? 0 : 2,
            borderWidth: line ? 2 : 1,
            tension: 0.2,
          };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: { legend: { position: "top" } },
      },
    });
    canvas.dataset.drawn = "true";
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
