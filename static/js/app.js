/* Prêt à dépenser — the little JavaScript the portal needs (no inline scripts: CSP).
   - draws every Plotly chart whose JSON sits in its data-figure attribute, on page load
     and after each htmx swap;
   - clears aria-busy on swapped sections; print buttons. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function drawCharts(root) {
    if (typeof window.Plotly === "undefined") { return; }
    var nodes = (root.querySelectorAll ? root : document).querySelectorAll("[data-chart]");
    if (root.matches && root.matches("[data-chart]")) { nodes = [root].concat(Array.from(nodes)); }
    Array.prototype.forEach.call(nodes, function (node) {
      if (node.dataset.drawn) { return; }
      // The figure's JSON sits in data-figure, whether the chart came with the page or by htmx.
      var text = node.dataset.figure;
      if (!text) { return; }
      var spec = JSON.parse(text);
      node.dataset.drawn = "1";
      // Numbers in the page's language ("2,8 %" and "1 350 000" in French): the server sets
      // the separators; a figure without them gets the page's.
      spec.layout = spec.layout || {};
      if (!spec.layout.separators && document.documentElement.lang === "fr") {
        spec.layout.separators = ",\u202f";
      }
      // A narrow screen: the waterfall's short axis labels (the factor without its value,
      // which the reasons and the data table give), so that the bars keep some room.
      if (node.clientWidth < 520) {
        (spec.data || []).forEach(function (trace) {
          if (trace.meta && trace.meta.short) { trace.y = trace.meta.short; }
        });
      }
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

/* Image page: drop a photo on the drop zone (it fills the file input and sends the form),
   the saliency opacity sliders, and the occlusion overlays that load after the result
   (hx-trigger="load"): when one fails (server error, network, timeout), its message takes
   the place of the loading status. Without JavaScript the file input and the plain form
   post still work (the page then comes with every overlay), at their default opacity. */
(function () {
  "use strict";

  function zoneOf(event) {
    return event.target.closest ? event.target.closest("[data-dropzone]") : null;
  }

  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = zoneOf(event);
      if (!zone) { return; }
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
  });

  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event);
    if (zone) { zone.classList.remove("is-dragover"); }
  });

  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event);
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.remove("is-dragover");
    var input = zone.querySelector("input[type=file]");
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) { return; }
    input.files = event.dataTransfer.files;
    var form = zone.closest("form");
    if (form && form.requestSubmit) { form.requestSubmit(); }
  });

  function pendingOverlay(event) {
    var slot = event.detail && event.detail.elt;
    return slot && slot.hasAttribute && slot.hasAttribute("data-overlay-error") ? slot : null;
  }

  function overlayFailed(slot) {
    var status = slot.querySelector("[data-overlay-status]");
    if (!status) { return; }
    status.textContent = slot.getAttribute("data-overlay-error");
    status.setAttribute("role", "alert");
    status.classList.remove("loading");
    status.classList.add("error");
    slot.removeAttribute("aria-busy");
    slot.classList.add("is-failed");
  }

  // A 4xx from the overlay route says what was wrong, in place (it is swapped in as usual);
  // a 5xx may be a proxy's page: the slot shows its own message instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var slot = pendingOverlay(event);
    if (slot && event.detail.isError && event.detail.xhr.status >= 500) {
      event.detail.shouldSwap = false;
      overlayFailed(slot);
    }
  });

  ["htmx:sendError", "htmx:timeout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var slot = pendingOverlay(event);
      if (slot) { overlayFailed(slot); }
    });
  });

  document.addEventListener("input", function (event) {
    var slider = event.target;
    if (!slider.dataset || !slider.dataset.opacityFor) { return; }
    var layer = document.getElementById(slider.dataset.opacityFor);
    if (layer) { layer.style.opacity = String(Number(slider.value) / 100); }
  });
})();
