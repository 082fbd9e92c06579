"""Plotly figures as plain dicts, each with a text summary and its data as a table.

Every chart the portal draws is a :class:`Chart`: the figure (JSON for plotly.js), a short
summary sentence (its text alternative), and the numbers behind it as a table, so that no
information is given by the picture alone. Colours are Okabe–Ito (safe for colour-blind
readers), and outcomes also differ by marker shape and pattern.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..i18n import current_language

#: Okabe–Ito palette.
REPAID = "#0072B2"  # blue
DEFAULTED = "#D55E00"  # vermillion
APPLICANT = "#000000"
THRESHOLD = "#CC79A7"  # reddish purple
NEUTRAL = "#999999"
ACCENT = "#009E73"  # bluish green
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


@dataclass
class Chart:
    """A figure with its text alternative and data table."""

    id: str
    title: str
    summary: str
    figure: dict[str, Any]
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def figure_json(self) -> str:
        """The figure for plotly.js (safe inside a ``<script type="application/json">``)."""
        text = json.dumps(self.figure, separators=(",", ":"), allow_nan=False, default=float)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: Plotly's ``separators`` (decimal, then thousands) by language: "12,3" and "1 350 000" in
#: French (a narrow no-break space), "12.3" and "1,350,000" in English.
SEPARATORS = {"fr": ",\u202f", "en": ".,"}
#: The percent suffix of axis ticks and numbers: "12 %" in French, "12%" in English.
PERCENT_SUFFIX = {"fr": "\u00a0%", "en": "%"}


def percent_suffix() -> str:
    """`` %`` (a no-break space, as in the text) on French pages, ``%`` on English ones."""
    return PERCENT_SUFFIX[current_language()]


def layout(title: str | None = None, **extra: Any) -> dict[str, Any]:
    """The common layout: readable font, tight margins, no Plotly logo, legend on top, and
    the page's number separators (so the hover labels and axes read like the text)."""
    base: dict[str, Any] = {
        "font": FONT, "margin": {"l": 60, "r": 20, "t": 30 if title else 10, "b": 50},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "height": 320, "separators": SEPARATORS[current_language()],
    }
    if title:
        base["title"] = {"text": title, "font": {"size": 14}}
    base.update(extra)
    return base


_NICE_TOPS = (5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100)


def gauge_top(probability: float, threshold: float) -> float:
    """The end of the gauge's scale, in %: about three times the threshold and past the
    applicant's probability, on a round number (an 8 % threshold gets a 0–25 % gauge)."""
    wanted = max(3 * threshold * 100, 1.25 * probability * 100, 5)
    return float(next((top for top in _NICE_TOPS if top >= wanted), 100))


def gauge(probability: float, threshold: float, labels: Mapping[str, str]) -> dict[str, Any]:
    """A gauge scaled around the threshold (see :func:`gauge_top`), the threshold marked."""
    top = gauge_top(probability, threshold)
    suffix = percent_suffix()
    return {
        "data": [{
            "type": "indicator", "mode": "gauge+number", "value": round(probability * 100, 1),
            "number": {"suffix": suffix, "valueformat": ".1f", "font": {"size": 34}},
            "gauge": {
                "axis": {"range": [0, top], "ticksuffix": suffix, "nticks": 6},
                "bar": {"color": APPLICANT, "thickness": 0.3},
                "steps": [
                    {"range": [0, threshold * 100], "color": "#cfe3f3"},
                    {"range": [threshold * 100, top], "color": "#f6d5bf"},
                ],
                "threshold": {"line": {"color": THRESHOLD, "width": 4}, "thickness": 0.9,
                              "value": threshold * 100},
            },
            "title": {"text": labels.get("title", ""), "font": {"size": 14}},
        }],
        "layout": layout(height=230, margin={"l": 35, "r": 35, "t": 40, "b": 10}),
    }


def wrap_label(text: str, width: int = 24) -> str:
    """A long axis label on several lines (``<br>``), so that phones keep room for the bars."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def waterfall(steps: Sequence[tuple[str, float]], base_label: str, total_label: str,
              start: float, texts: Sequence[str], axis_title: str,
              short_names: Sequence[str] | None = None) -> dict[str, Any]:
    """A horizontal waterfall in percentage points: from the average client's probability
    ``start`` (%), the steps (points), to this applicant's probability. ``texts`` are the
    shown labels, first and last included (the numbers formatted by the caller);
    ``short_names`` (one per step) are the axis labels on a narrow screen (``meta.short``:
    ``static/js/app.js`` swaps them in where the chart is under 520 px wide)."""
    names = [wrap_label(name, 26) for name in [base_label, *(n for n, _v in steps),
                                               total_label]]
    short = [wrap_label(name, 16) for name in [base_label, *(short_names or
                                                             [n for n, _v in steps]),
                                               total_label]]
    values = [start] + [value for _, value in steps] + [0]
    measures = ["absolute"] + ["relative"] * len(steps) + ["total"]
    # Plotly accumulates in data order: keep start → steps → total, and show it top to
    # bottom by reversing the axis (reversing the data would accumulate backwards).
    return {
        "data": [{
            "type": "waterfall", "orientation": "h", "y": names, "x": values,
            "measure": measures, "text": list(texts), "textposition": "outside",
            "cliponaxis": False,
            "increasing": {"marker": {"color": DEFAULTED}},
            "decreasing": {"marker": {"color": REPAID}},
            "totals": {"marker": {"color": APPLICANT}},
            "connector": {"line": {"color": NEUTRAL, "width": 1}},
            "hovertemplate": "%{y}: %{text}<extra></extra>",
            "meta": {"short": short},
        }],
        "layout": layout(height=90 + 40 * len(names),
                         xaxis={"title": {"text": axis_title}, "zeroline": True,
                                "ticksuffix": percent_suffix(), "rangemode": "tozero",
                                "automargin": True},
                         yaxis={"automargin": True, "autorange": "reversed"},
                         margin={"l": 10, "r": 55, "t": 10, "b": 50},
                         showlegend=False),
    }


def outcome_histogram(edges: Sequence[float], repaid: Sequence[float],
                      defaulted: Sequence[float], marker: float | None,
                      names: Mapping[str, str], axis_title: str,
                      normalise: bool = True) -> dict[str, Any]:
    """Distribution by outcome (share of each group per bin) with the applicant marked."""
    centres = [(edges[i] + edges[i + 1]) / 2 for i in range(len(edges) - 1)]
    widths = [edges[i + 1] - edges[i] for i in range(len(edges) - 1)]
    total_r, total_d = sum(repaid) or 1, sum(defaulted) or 1
    y_r = [100 * v / total_r for v in repaid] if normalise else list(repaid)
    y_d = [100 * v / total_d for v in defaulted] if normalise else list(defaulted)
    data = [
        {"type": "bar", "x": centres, "y": y_r, "width": widths, "name": names["repaid"],
         "marker": {"color": REPAID, "opacity": 0.75}},
        {"type": "bar", "x": centres, "y": y_d, "width": widths, "name": names["defaulted"],
         "marker": {"color": DEFAULTED, "opacity": 0.75, "pattern": {"shape": "/"}}},
    ]
    shapes = []
    annotations = []
    if marker is not None:
        shapes.append({"type": "line", "x0": marker, "x1": marker, "yref": "paper", "y0": 0,
                       "y1": 1, "line": {"color": APPLICANT, "width": 3, "dash": "dash"}})
        # Inside the plot, at the top of the line: above it, the legend would hide it.
        annotations.append({"x": marker, "yref": "paper", "y": 1, "text": names["applicant"],
                            "showarrow": False, "yanchor": "top", "xanchor": "left",
                            "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 12}})
    return {"data": data, "layout": layout(
        barmode="overlay", bargap=0, shapes=shapes, annotations=annotations, height=260,
        xaxis={"title": {"text": axis_title}},
        yaxis={"title": {"text": names["yaxis"]}})}


def category_bars(categories: Sequence[str], repaid: Sequence[int], defaulted: Sequence[int],
                  marked: str | None, names: Mapping[str, str]) -> dict[str, Any]:
    """Default rate per category, the applicant's category outlined."""
    rates = [100 * d / (r + d) if (r + d) else 0 for r, d in zip(repaid, defaulted, strict=True)]
    line_widths = [3 if c == marked else 0 for c in categories]
    return {"data": [{
        "type": "bar", "x": list(categories), "y": rates, "name": names["rate"],
        "marker": {"color": [DEFAULTED if c == marked else NEUTRAL for c in categories],
                   "line": {"color": APPLICANT, "width": line_widths}},
        "hovertemplate": "%{x}: %{y:.1f}" + percent_suffix() + "<extra></extra>",
    }], "layout": layout(height=260, yaxis={"title": {"text": names["yaxis"]}},
                         xaxis={"automargin": True}, showlegend=False)}


def scatter(x_repaid: Sequence[float], y_repaid: Sequence[float],
            x_defaulted: Sequence[float], y_defaulted: Sequence[float],
            applicant: tuple[float | None, float | None], names: Mapping[str, str],
            x_title: str, y_title: str) -> dict[str, Any]:
    """Two features of the population, by outcome (colour and shape), applicant as a star."""
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "markers", "x": list(x_repaid), "y": list(y_repaid),
         "name": names["repaid"], "marker": {"color": REPAID, "symbol": "circle", "size": 5,
                                              "opacity": 0.45}},
        {"type": "scatter", "mode": "markers", "x": list(x_defaulted), "y": list(y_defaulted),
         "name": names["defaulted"], "marker": {"color": DEFAULTED, "symbol": "x", "size": 6,
                                                 "opacity": 0.7}},
    ]
    if applicant[0] is not None and applicant[1] is not None:
        data.append({"type": "scatter", "mode": "markers", "x": [applicant[0]],
                     "y": [applicant[1]], "name": names["applicant"],
                     "marker": {"color": "#F0E442", "symbol": "star", "size": 20,
                                "line": {"color": APPLICANT, "width": 2}}})
    return {"data": data, "layout": layout(height=420, xaxis={"title": {"text": x_title}},
                                           yaxis={"title": {"text": y_title}})}


def bars(labels: Sequence[str], values: Sequence[float], axis_title: str,
         color: str = REPAID) -> dict[str, Any]:
    """Horizontal bars, largest on top (global importance)."""
    return {"data": [{"type": "bar", "orientation": "h", "y": list(labels)[::-1],
                      "x": list(values)[::-1], "marker": {"color": color},
                      "hovertemplate": "%{y}: %{x:.3f}<extra></extra>"}],
            "layout": layout(height=80 + 24 * len(labels), showlegend=False,
                             xaxis={"title": {"text": axis_title}},
                             yaxis={"automargin": True},
                             margin={"l": 10, "r": 20, "t": 10, "b": 50})}


def lines(series: Sequence[Mapping[str, Any]], x_title: str, y_title: str,
          marker: Mapping[str, Any] | None = None, vline: float | None = None,
          **extra: Any) -> dict[str, Any]:
    """Line chart (ROC, cost, calibration, one line per group), optionally a point or a
    vertical line marked; each series differs by colour and by dash (never colour alone)."""
    styles = [("solid", REPAID), ("dot", NEUTRAL), ("dash", DEFAULTED), ("dashdot", ACCENT),
              ("longdash", "#E69F00"), ("longdashdot", "#56B4E9")]
    data = []
    for index, s in enumerate(series):
        dash, colour = styles[index % len(styles)]
        data.append({"type": "scatter", "mode": s.get("mode", "lines"), "x": list(s["x"]),
                     "y": list(s["y"]), "name": s["name"],
                     "line": {"color": s.get("color", colour), "dash": s.get("dash", dash)}})
    if marker:
        data.append({"type": "scatter", "mode": "markers+text", "x": [marker["x"]],
                     "y": [marker["y"]], "name": marker["name"], "text": [marker["name"]],
                     "textposition": "bottom right",
                     "marker": {"color": THRESHOLD, "size": 12, "symbol": "diamond"}})
    shapes = []
    if vline is not None:
        shapes.append({"type": "line", "x0": vline, "x1": vline, "yref": "paper", "y0": 0,
                       "y1": 1, "line": {"color": THRESHOLD, "width": 3, "dash": "dash"}})
    return {"data": data, "layout": layout(height=340, shapes=shapes,
                                           xaxis={"title": {"text": x_title}},
                                           yaxis={"title": {"text": y_title}}, **extra)}


def ratio_bars(labels: Sequence[str], ratios: Sequence[float], line: float, axis_title: str,
               line_name: str) -> dict[str, Any]:
    """Horizontal bars of ratios to a reference (1 = the reference), a vertical line at
    ``line``; the bars under it are hatched as well as coloured (never colour alone)."""
    under = [value < line for value in ratios]
    return {"data": [{"type": "bar", "orientation": "h", "y": list(labels), "x": list(ratios),
                      "marker": {"color": [DEFAULTED if u else REPAID for u in under],
                                 "pattern": {"shape": ["/" if u else "" for u in under]}},
                      "text": [f"{value:.2f}" for value in ratios], "textposition": "outside",
                      "cliponaxis": False,
                      "hovertemplate": "%{y}: %{x:.2f}<extra></extra>"}],
            "layout": layout(height=90 + 30 * len(labels), showlegend=False,
                             xaxis={"title": {"text": axis_title},
                                    "range": [0, max([1.15] + [v * 1.15 for v in ratios])]},
                             yaxis={"automargin": True, "autorange": "reversed"},
                             margin={"l": 10, "r": 20, "t": 30, "b": 50},
                             shapes=[{"type": "line", "x0": line, "x1": line, "yref": "paper",
                                      "y0": 0, "y1": 1,
                                      "line": {"color": THRESHOLD, "width": 3, "dash": "dash"}}],
                             annotations=[{"x": line, "yref": "paper", "y": 1,
                                           "text": line_name, "showarrow": False,
                                           "yanchor": "bottom", "font": {"size": 12}}])}
