"""The applicant compared: with all clients whose outcome is known, with the most similar
ones, and on two variables of the advisor's choice. Every chart comes with its summary and
its data as a table (``webapp.ui.charts``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask_babel import gettext as _

from ml.serving.credit import CreditModel, Explanation

from ...i18n import current_language
from ...ui import charts
from ...ui import formatting as fmt
from ..explanations import feature_label, feature_value, format_kind, percentile
from .registry import SectionInput

COMPARED_FEATURES = 4
SCATTER_POINTS = 2500
NEIGHBOURS = 50


def compared_features(model: CreditModel, explanation: Explanation,
                      n: int = COMPARED_FEATURES) -> list[str]:
    """The applicant's most influential features that the reference data describes."""
    available = set(model.reference.population_features)
    ranked = sorted(explanation.contributions.items(), key=lambda kv: -abs(kv[1]))
    return [name for name, _value in ranked if name in available][:n]


def _names() -> dict[str, str]:
    return {"repaid": _("Ont remboursé"), "defaulted": _("En défaut"),
            "applicant": _("Ce client"), "yaxis": _("Part du groupe (%)"),
            "rate": _("Taux de défaut (%)")}


def feature_chart(model: CreditModel, feature: str, explanation: Explanation,
                  record: Mapping[str, Any], chart_id: str,
                  subset: np.ndarray | None = None) -> charts.Chart:
    """Distribution of ``feature`` by outcome (all clients, or the rows in ``subset``)."""
    counts = model.reference.outcome_counts(feature, subset)
    label = feature_label(model, feature)
    shown = feature_value(model, feature, explanation, record)
    names = _names()
    group = _("tous les clients") if subset is None else _("les clients similaires")
    repaid, defaulted = list(counts["repaid"]), list(counts["defaulted"])
    if "categories" in counts:
        categories = counts["categories"]
        keep = [i for i in range(len(categories)) if repaid[i] + defaulted[i] > 0]
        language = current_language()
        shown_names = [model.labels.category_value(feature, categories[i], language)
                       for i in keep]
        raw = record.get(feature)
        marked = model.labels.category_value(feature, raw, language) \
            if isinstance(raw, str) else None
        figure = charts.category_bars(shown_names, [repaid[i] for i in keep],
                                      [defaulted[i] for i in keep], marked, names)
        rows = [[name, fmt.number(repaid[i]), fmt.number(defaulted[i]),
                 fmt.percent(defaulted[i] / (repaid[i] + defaulted[i]))]
                for name, i in zip(shown_names, keep, strict=True)]
        return charts.Chart(
            id=chart_id, title=label,
            summary=_("%(label)s : %(value)s. Taux de défaut par catégorie parmi %(group)s.",
                      label=label, value=shown, group=group),
            figure=figure, columns=[_("Catégorie"), names["repaid"], names["defaulted"],
                                    names["rate"]], rows=rows)
    edges = counts["edges"]
    value = explanation.features.get(feature)
    marker = None if fmt.is_missing(value) else float(value)
    kind = model.labels.kind(feature)
    figure = charts.outcome_histogram(edges, repaid, defaulted, marker, names, label)
    share = percentile({"edges": edges, "repaid": repaid, "defaulted": defaulted},
                       marker) if marker is not None else None
    if share is None:
        position = ""
    elif subset is None:
        position = " " + _("Ce client se situe au-dessus de %(share)s de tous les clients.",
                           share=fmt.percent(share, None, 0))
    else:
        position = " " + _("Ce client se situe au-dessus de %(share)s des clients similaires.",
                           share=fmt.percent(share, None, 0))
    if subset is None:
        summary = _("%(label)s : %(value)s.%(position)s Répartition de tous les clients selon "
                    "qu'ils ont remboursé ou non.", label=label, value=shown, position=position)
    else:
        summary = _("%(label)s : %(value)s.%(position)s Répartition des clients similaires "
                    "selon qu'ils ont remboursé ou non.", label=label, value=shown,
                    position=position)
    rows = [[f"{format_kind(kind, edges[i])} – {format_kind(kind, edges[i + 1])}",
             fmt.number(repaid[i]), fmt.number(defaulted[i])] for i in range(len(edges) - 1)]
    return charts.Chart(id=chart_id, title=label, summary=summary, figure=figure,
                        columns=[_("Intervalle"), names["repaid"], names["defaulted"]],
                        rows=rows)


@dataclass(frozen=True)
class PopulationView:
    """The applicant's top features on the distribution of all clients."""

    charts: list[charts.Chart]
    n_clients: int
    default_rate: float


def build_population(section: SectionInput) -> PopulationView:
    """For the applicant's top features, their value among all clients."""
    model, explanation = section.model, section.explanation
    assert model is not None
    features = compared_features(model, explanation)
    return PopulationView(
        [feature_chart(model, f, explanation, section.record, f"population-{i}")
         for i, f in enumerate(features)],
        len(model.reference.ids), model.reference.default_rate)


@dataclass(frozen=True)
class NeighboursView:
    """The nearest clients with a known outcome: their default rate, charts and list."""

    k: int
    default_rate: float
    defaults: int
    overall_rate: float
    charts: list[charts.Chart]
    table: list[tuple[int, str, str]]


def build_neighbours(section: SectionInput, k: int = NEIGHBOURS) -> NeighboursView:
    """The ``k`` nearest clients with a known outcome, their default rate, the same charts."""
    model, explanation = section.model, section.explanation
    assert model is not None
    ids, target, distances, indices = model.reference.neighbours(explanation.features, k)
    rate = float(np.mean(target)) if len(target) else 0.0
    chart_list = [feature_chart(model, f, explanation, section.record, f"neighbours-{i}",
                                subset=indices)
                  for i, f in enumerate(compared_features(model, explanation))]
    outcome = {0: _("A remboursé"), 1: _("En défaut")}
    table = [(int(i), outcome[int(t)], fmt.fixed(float(d), None, 3))
             for i, t, d in zip(ids, target, distances, strict=True)]
    return NeighboursView(len(ids), rate, int(np.sum(target)), model.reference.default_rate,
                          chart_list, table)


# --- two variables -------------------------------------------------------------------------

def scatter_features(model: CreditModel) -> list[str]:
    """Numeric population features (a scatter of category codes would mean nothing)."""
    return [f for f in model.reference.population_features
            if "edges" in model.reference.histogram(f)]


@dataclass(frozen=True)
class ScatterChoice:
    """The two features of the scatter (validated against the available ones)."""

    x: str
    y: str


def default_scatter_choice(model: CreditModel, explanation: Explanation) -> ScatterChoice:
    """The applicant's two most influential numeric features."""
    available = scatter_features(model)
    ranked = [f for f, _value in sorted(explanation.contributions.items(),
                                        key=lambda kv: -abs(kv[1])) if f in available]
    ranked += [f for f in available if f not in ranked]
    return ScatterChoice(ranked[0], ranked[1] if len(ranked) > 1 else ranked[0])


@dataclass(frozen=True)
class BivariateView:
    """The scatter of two features, the choice and its options, a refusal message."""

    scatter: charts.Chart
    choice: ScatterChoice
    options: list[tuple[str, str]]
    error: str | None = None
    status: int = field(default=200)


def build_bivariate(section: SectionInput) -> BivariateView:
    """The population on two features (``x`` and ``y`` from the query), applicant marked; a
    pair not on the list gets the default pair and a message (422)."""
    model, explanation = section.model, section.explanation
    assert model is not None
    choice = default_scatter_choice(model, explanation)
    available = set(scatter_features(model))
    x, y = section.args.get("x", choice.x), section.args.get("y", choice.y)
    error = None
    if x in available and y in available:
        choice = ScatterChoice(x, y)
    else:
        error = _("Choisissez deux variables de la liste.")
    return BivariateView(_scatter_chart(model, explanation, section.record, choice), choice,
                         [(f, feature_label(model, f)) for f in scatter_features(model)],
                         error, 422 if error else 200)


def _scatter_chart(model: CreditModel, explanation: Explanation, record: Mapping[str, Any],
                   choice: ScatterChoice) -> charts.Chart:
    values, target, _ids = model.reference.population([choice.x, choice.y])
    rng = np.random.default_rng(0)
    rows = np.arange(len(target))
    if len(rows) > SCATTER_POINTS:
        rows = np.sort(rng.choice(rows, SCATTER_POINTS, replace=False))
    sample = values[rows].astype("float64")
    outcome = target[rows]
    keep = np.isfinite(sample).all(axis=1)
    sample, outcome = sample[keep], outcome[keep]
    rounded = np.round(sample, 4)
    ax, ay = explanation.features.get(choice.x), explanation.features.get(choice.y)
    point = (None if fmt.is_missing(ax) else float(ax), None if fmt.is_missing(ay) else float(ay))
    x_label, y_label = feature_label(model, choice.x), feature_label(model, choice.y)
    figure = charts.scatter(rounded[outcome == 0, 0].tolist(), rounded[outcome == 0, 1].tolist(),
                            rounded[outcome == 1, 0].tolist(), rounded[outcome == 1, 1].tolist(),
                            point, _names(), x_label, y_label)
    columns, table = _quadrant_table(sample, outcome, point)
    summary = _("%(n)s clients tirés au hasard, selon « %(x)s » et « %(y)s ». Ce client : "
                "%(x_value)s ; %(y_value)s. Ronds bleus : ont remboursé ; croix orange : en "
                "défaut ; étoile : ce client.", n=len(outcome), x=x_label, y=y_label,
                x_value=feature_value(model, choice.x, explanation, record),
                y_value=feature_value(model, choice.y, explanation, record))
    return charts.Chart(id="bivariate-scatter", title=f"{x_label} × {y_label}", summary=summary,
                        figure=figure, columns=columns, rows=table)


def _quadrant_table(sample: np.ndarray, outcome: np.ndarray,
                    point: tuple[float | None, ...]) -> tuple[list[str], list[list[str]]]:
    """Default rate in the four quadrants around the applicant (the scatter as a table)."""
    columns = [_("Zone"), _("Clients"), _("Taux de défaut")]
    if point[0] is None or point[1] is None or not len(outcome):
        rate = float(np.mean(outcome)) if len(outcome) else 0.0
        return columns, [[_("Tous"), fmt.number(len(outcome)), fmt.percent(rate)]]
    rows = []
    for below_x in (True, False):
        for below_y in (True, False):
            mask = ((sample[:, 0] <= point[0]) == below_x) & ((sample[:, 1] <= point[1]) == below_y)
            n = int(mask.sum())
            x_word = "x ≤ " if below_x else "x > "
            y_word = "y ≤ " if below_y else "y > "
            client = _("client")
            rows.append([f"{x_word}{client}, {y_word}{client}", fmt.number(n),
                         fmt.percent(float(outcome[mask].mean()) if n else 0.0)])
    return columns, rows
