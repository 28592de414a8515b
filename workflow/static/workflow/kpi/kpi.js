// The KPI dashboard's charts: Chart.js (static/vendor/chartjs/) over the data the page carries
// in <script type="application/json" id="kpi-data">. Each chart also has its table and CSV.
(function () {
  "use strict";
  var COLOURS = ["#1f3b5a", "#0b8a6a", "#c2410c", "#7c3aed"];
  function draw() {
    var source = document.getElementById("kpi-data");
    if (!source || typeof window.Chart === "undefined") return;
    var specs = JSON.parse(source.textContent).charts;
    specs.forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      if (!canvas) return;
      var box = canvas.parentNode;
      if (box.dataset.height) box.style.height = box.dataset.height + "px";
      new window.Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (set, i) {
            return {
              label: set.label,
              data: set.data,
              backgroundColor: COLOURS[i % COLOURS.length],
              borderColor: COLOURS[i % COLOURS.length],
              spanGaps: true
            };
          })
        },
        options: {
          indexAxis: spec.horizontal ? "y" : "x",
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { position: "bottom" } }
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
