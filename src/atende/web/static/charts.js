/* The dashboards' charts: each <canvas data-chart="ID"> is drawn from the JSON in
   <script type="application/json" id="ID"> (no inline script: the CSP allows none). A chart
   drawn again (after an htmx swap) replaces the previous one. Every chart has a table beside
   it with the same figures, for screen readers and for copying. */
(function () {
  "use strict";
  var palette = ["#1f4fa3", "#17663a", "#b45309", "#7c3aed", "#be123c", "#0e7490"];

  function draw(root) {
    if (typeof window.Chart === "undefined") { return; }
    var canvases = (root || document).querySelectorAll("canvas[data-chart]");
    canvases.forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      var previous = window.Chart.getChart(canvas);
      if (previous) { previous.destroy(); }
      spec.datasets.forEach(function (d, i) {
        d.backgroundColor = palette[i % palette.length];
        d.borderColor = palette[i % palette.length];
        d.spanGaps = true;
      });
      new window.Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { y: { beginAtZero: true } },
          plugins: { legend: { position: "bottom" } }
        }
      });
      canvas.setAttribute("data-drawn", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
