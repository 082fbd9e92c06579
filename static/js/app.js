/* Prêt à dépenser — the little JavaScript the portal needs (no inline scripts: CSP).
   - draws every Plotly chart whose JSON sits in a <script type="application/json">,
     on page load and after each htmx swap;
   - clears aria-busy on swapped sections; print buttons. */
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof window.Plotly === "undefined") { return; }
    var nodes = (root.querySelectorAll ? root : document).querySelectorAll("[data-chart]");
    if (root.matches && root.matches("[data-chart]")) { nodes = [root].concat(Array.from(nodes)); }
    Array.prototype.forEach.call(nodes, function (node) {
      if (node.dataset.drawn) { return; }
      var source = document.getElementById(node.dataset.chart);
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      node.dataset.drawn = "1";
      // No mode bar: its buttons inside a role="img" figure would be nested controls for
      // screen readers; hover tooltips stay, and the data table beside carries the numbers.
      window.Plotly.newPlot(node, spec.data, spec.layout, {
        displaylogo: false, responsive: true, displayModeBar: false
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    if (window.htmx) {
      window.htmx.onLoad(function (element) { drawCharts(element); });
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.removeAttribute) { target.removeAttribute("aria-busy"); }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
})();
