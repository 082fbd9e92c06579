"""The sections of the client page, as plain data for the templates.

Each function takes the loaded credit model, the applicant's raw record (and its
explanation) and the reader's language, and returns what one htmx partial shows: sentences,
tables and :class:`~webapp.services.charts.Chart` figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.credit.schema import DAYS_EMPLOYED_ANOMALY

from . import charts
from . import formatting as fmt
from .explanations import (
    decision_summary,
    feature_value,
    format_kind,
    percentile,
    reasons,
    sigmoid,
)
from .vocabulary import category_label, field_label

WATERFALL_STEPS = 10
COMPARED_FEATURES = 4
SCATTER_POINTS = 2500
NEIGHBOURS = 50


def _t(lang: str, fr: str, en: str) -> str:
    return fr if lang == "fr" else en


def _number(record: Mapping[str, Any], field: str) -> float | None:
    value = record.get(field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


# --- 1. identity card ---------------------------------------------------------------------

def identity_card(record: Mapping[str, Any], lang: str = "fr") -> list[tuple[str, str]]:
    """The main descriptive facts, labelled and formatted (missing ones said so)."""
    rows: list[tuple[str, str]] = []

    def category(field: str) -> None:
        value = record.get(field)
        shown = category_label(field, value, lang) if isinstance(value, str) else None
        rows.append((field_label(field, lang), shown or fmt.MISSING[lang]))

    def money(field: str) -> None:
        rows.append((field_label(field, lang), fmt.money(_number(record, field), lang)))

    birth = _number(record, "DAYS_BIRTH")
    rows.append((field_label("DAYS_BIRTH", lang),
                 fmt.years(-birth / 365.25 if birth is not None else None, lang)))
    category("CODE_GENDER")
    category("NAME_FAMILY_STATUS")
    children = _number(record, "CNT_CHILDREN")
    rows.append((field_label("CNT_CHILDREN", lang), fmt.number(children, lang)))
    rows.append((field_label("CNT_FAM_MEMBERS", lang),
                 fmt.number(_number(record, "CNT_FAM_MEMBERS"), lang)))
    category("NAME_EDUCATION_TYPE")
    category("NAME_INCOME_TYPE")
    category("OCCUPATION_TYPE")
    employed = _number(record, "DAYS_EMPLOYED")
    if employed is not None and employed == DAYS_EMPLOYED_ANOMALY:
        shown = _t(lang, "sans emploi déclaré (retraite, inactivité)",
                   "no employment declared (pension, inactive)")
    else:
        shown = fmt.years(-employed / 365.25 if employed is not None else None, lang, 1)
    rows.append((field_label("DAYS_EMPLOYED", lang), shown))
    category("NAME_HOUSING_TYPE")
    category("FLAG_OWN_REALTY")
    category("FLAG_OWN_CAR")
    money("AMT_INCOME_TOTAL")
    category("NAME_CONTRACT_TYPE")
    money("AMT_CREDIT")
    money("AMT_ANNUITY")
    money("AMT_GOODS_PRICE")
    credit, income = _number(record, "AMT_CREDIT"), _number(record, "AMT_INCOME_TOTAL")
    rows.append((_t(lang, "Crédit rapporté au revenu annuel", "Credit to annual income"),
                 fmt.times(credit / income if credit and income else None, lang)))
    annuity = _number(record, "AMT_ANNUITY")
    rows.append((_t(lang, "Durée implicite (échéances, hors intérêts)",
                    "Implied term (instalments, before interest)"),
                 fmt.number(credit / annuity if credit and annuity else None, lang)))
    return rows


# --- 2. decision ------------------------------------------------------------------------

def decision_section(model: Any, explanation: Any, lang: str = "fr") -> dict[str, Any]:
    """Probability, threshold, verdict, distance in words, gauge, out-of-distribution list."""
    summary = decision_summary(explanation, lang)
    verdict = _t(lang, "Accordé", "Accepted") if explanation.decision == "accepted" \
        else _t(lang, "Refusé", "Refused")
    gauge = charts.Chart(
        id="decision-gauge",
        title=_t(lang, "Probabilité de défaut et seuil", "Probability of default and threshold"),
        summary=f"{verdict}. {summary.sentence}",
        figure=charts.gauge(explanation.probability, explanation.threshold,
                            {"title": _t(lang, "Probabilité de défaut", "Default probability")}),
        columns=[_t(lang, "Mesure", "Measure"), _t(lang, "Valeur", "Value")],
        rows=[[_t(lang, "Probabilité de défaut", "Probability of default"),
               fmt.percent(explanation.probability, lang)],
              [_t(lang, "Seuil de refus", "Refusal threshold"),
               fmt.percent(explanation.threshold, lang)],
              [_t(lang, "Décision", "Decision"), verdict]])
    return {"summary": summary, "gauge": gauge,
            "unusual": unusual_features(model, explanation, lang)}


def unusual_features(model: Any, explanation: Any, lang: str = "fr") -> list[str]:
    """Human names of what lies outside the model's experience (empty when nothing does)."""
    names = []
    for feature in model.reference.out_of_distribution(explanation.features):
        if feature == "__neighbours__":
            names.append(_t(lang, "le profil d'ensemble (aucun client comparable)",
                            "the overall profile (no comparable client)"))
        else:
            names.append(model.labels.label(feature, lang))
    return names


# --- 3. reasons -------------------------------------------------------------------------

def reasons_section(model: Any, explanation: Any, record: Mapping[str, Any],
                    lang: str = "fr") -> dict[str, Any]:
    """The SHAP waterfall (top contributions + other factors) and the 4 + 4 reasons."""
    against, in_favour = reasons(model, explanation, record, lang)
    ranked = sorted(explanation.contributions.items(), key=lambda kv: -abs(kv[1]))
    top, rest = ranked[:WATERFALL_STEPS], ranked[WATERFALL_STEPS:]
    steps = [(f"{model.labels.label(name, lang)} = "
              f"{feature_value(model, name, explanation, record, lang)}", value)
             for name, value in top]
    rest_total = float(sum(value for _, value in rest))
    others = _t(lang, f"Autres facteurs ({len(rest)})", f"Other factors ({len(rest)})")
    if rest:
        steps.append((others, rest_total))
    base_label = _t(lang, "Client moyen", "Average client")
    total_label = _t(lang, "Ce dossier", "This application")
    figure = charts.waterfall(steps, base_label, total_label, explanation.base_value,
                              _t(lang, "Effet sur le risque (log-odds)",
                                 "Effect on risk (log-odds)"))
    rows = [[base_label, "", fmt.fixed(explanation.base_value, lang, 3)]]
    rows += [[model.labels.label(name, lang),
              feature_value(model, name, explanation, record, lang),
              fmt.fixed(value, lang, 3)] for name, value in top]
    if rest:
        rows.append([others, "", fmt.fixed(rest_total, lang, 3)])
    rows.append([total_label, fmt.percent(explanation.probability, lang),
                 fmt.fixed(explanation.margin, lang, 3)])
    start = fmt.percent(sigmoid(explanation.base_value), lang)
    end = fmt.percent(explanation.probability, lang)
    strongest = model.labels.label(top[0][0], lang) if top else ""
    summary = _t(
        lang,
        f"Le risque part de celui d'un client moyen ({start}) et arrive à {end} pour ce "
        f"dossier. Le facteur le plus influent est « {strongest} ». Les barres orange "
        "hachurées augmentent le risque, les bleues le réduisent.",
        f"Risk starts from an average client's ({start}) and ends at {end} for this "
        f"application. The most influential factor is “{strongest}”. Orange bars raise the "
        "risk, blue ones lower it.")
    chart = charts.Chart(id="reasons-waterfall",
                         title=_t(lang, "Ce qui a pesé dans la décision",
                                  "What weighed in the decision"),
                         summary=summary, figure=figure,
                         columns=[_t(lang, "Facteur", "Factor"), _t(lang, "Valeur", "Value"),
                                  _t(lang, "Contribution (log-odds)",
                                     "Contribution (log-odds)")],
                         rows=rows)
    return {"against": against, "in_favour": in_favour, "waterfall": chart}


# --- 4 and 5. compared with all clients, with similar clients ----------------------------

def compared_features(model: Any, explanation: Any, n: int = COMPARED_FEATURES) -> list[str]:
    """The applicant's most influential features that the reference data describes."""
    available = set(model.reference.population_features)
    ranked = sorted(explanation.contributions.items(), key=lambda kv: -abs(kv[1]))
    return [name for name, _ in ranked if name in available][:n]


def _names(lang: str) -> dict[str, str]:
    return {"repaid": _t(lang, "Ont remboursé", "Repaid"),
            "defaulted": _t(lang, "En défaut", "Defaulted"),
            "applicant": _t(lang, "Ce client", "This client"),
            "yaxis": _t(lang, "Part du groupe (%)", "Share of group (%)"),
            "rate": _t(lang, "Taux de défaut (%)", "Default rate (%)")}


def _feature_chart(model: Any, feature: str, explanation: Any, record: Mapping[str, Any],
                   lang: str, chart_id: str, subset: np.ndarray | None = None,
                   who: str = "all") -> charts.Chart:
    """Distribution of ``feature`` by outcome (all clients, or the rows in ``subset``)."""
    histogram = model.reference.histogram(feature)
    label = model.labels.label(feature, lang)
    shown = feature_value(model, feature, explanation, record, lang)
    names = _names(lang)
    group = _t(lang, "tous les clients", "all clients") if who == "all" \
        else _t(lang, "les clients similaires", "similar clients")
    if "categories" in histogram:
        categories = histogram["categories"]
        repaid, defaulted = list(histogram["repaid"]), list(histogram["defaulted"])
        if subset is not None:
            values, target, _ = model.reference.population([feature])
            codes = values[subset, 0]
            repaid = [int(np.sum((codes == i) & (target[subset] == 0))) for i in
                      range(len(categories))]
            defaulted = [int(np.sum((codes == i) & (target[subset] == 1))) for i in
                         range(len(categories))]
        keep = [i for i in range(len(categories)) if repaid[i] + defaulted[i] > 0]
        shown_names = [model.labels.category_value(categories[i], lang) for i in keep]
        raw = record.get(feature)
        marked = model.labels.category_value(raw, lang) if isinstance(raw, str) else None
        figure = charts.category_bars(shown_names, [repaid[i] for i in keep],
                                      [defaulted[i] for i in keep], marked, names)
        rows = [[name, fmt.number(repaid[i], lang), fmt.number(defaulted[i], lang),
                 fmt.percent(defaulted[i] / (repaid[i] + defaulted[i]), lang)]
                for name, i in zip(shown_names, keep, strict=True)]
        columns = [_t(lang, "Catégorie", "Category"), names["repaid"], names["defaulted"],
                   names["rate"]]
        summary = _t(lang, f"{label} : {shown}. Taux de défaut par catégorie parmi {group}.",
                     f"{label}: {shown}. Default rate by category among {group}.")
        return charts.Chart(id=chart_id, title=label, summary=summary, figure=figure,
                            columns=columns, rows=rows)
    edges = histogram["edges"]
    repaid, defaulted = list(histogram["repaid"]), list(histogram["defaulted"])
    if subset is not None:
        values, target, _ = model.reference.population([feature])
        column = values[subset, 0].astype("float64")
        y = target[subset]
        finite = np.isfinite(column)
        which = np.clip(np.searchsorted(edges, column[finite], side="right") - 1, 0,
                        len(edges) - 2)
        repaid = np.bincount(which[y[finite] == 0], minlength=len(edges) - 1).tolist()
        defaulted = np.bincount(which[y[finite] == 1], minlength=len(edges) - 1).tolist()
    value = explanation.features.get(feature)
    marker = None if fmt.is_missing(value) else float(value)
    kind = model.labels.kind(feature)
    figure = charts.outcome_histogram(edges, repaid, defaulted, marker, names, label)
    share = percentile({"edges": edges, "repaid": repaid, "defaulted": defaulted},
                       marker) if marker is not None else None
    position = "" if share is None else _t(
        lang, f" Ce client se situe au-dessus de {fmt.percent(share, lang, 0)} de {group}.",
        f" This client is above {fmt.percent(share, lang, 0)} of {group}.")
    summary = _t(lang, f"{label} : {shown}.{position} Répartition de {group} selon qu'ils "
                 "ont remboursé ou non.",
                 f"{label}: {shown}.{position} Distribution of {group} by outcome.")
    rows = [[f"{format_kind(kind, edges[i], lang)} – {format_kind(kind, edges[i + 1], lang)}",
             fmt.number(repaid[i], lang), fmt.number(defaulted[i], lang)]
            for i in range(len(edges) - 1)]
    columns = [_t(lang, "Intervalle", "Range"), names["repaid"], names["defaulted"]]
    return charts.Chart(id=chart_id, title=label, summary=summary, figure=figure,
                        columns=columns, rows=rows)


def population_section(model: Any, explanation: Any, record: Mapping[str, Any],
                       lang: str = "fr") -> dict[str, Any]:
    """For the applicant's top features, their value on the distribution of all clients."""
    features = compared_features(model, explanation)
    return {"charts": [_feature_chart(model, f, explanation, record, lang, f"population-{i}")
                       for i, f in enumerate(features)],
            "n_clients": len(model.reference.ids),
            "default_rate": model.reference.default_rate}


def neighbours_section(model: Any, explanation: Any, record: Mapping[str, Any],
                       lang: str = "fr", k: int = NEIGHBOURS) -> dict[str, Any]:
    """The k nearest clients with a known outcome, their default rate, and the same charts."""
    ids, target, distances, indices = model.reference.neighbours(explanation.features, k)
    rate = float(np.mean(target)) if len(target) else 0.0
    features = compared_features(model, explanation)
    chart_list = [_feature_chart(model, f, explanation, record, lang, f"neighbours-{i}",
                                 subset=indices, who="similar")
                  for i, f in enumerate(features)]
    outcome = {0: _t(lang, "A remboursé", "Repaid"), 1: _t(lang, "En défaut", "Defaulted")}
    table = [(int(i), outcome[int(t)], fmt.fixed(float(d), lang, 3))
             for i, t, d in zip(ids, target, distances, strict=True)]
    return {"k": len(ids), "default_rate": rate, "defaults": int(np.sum(target)),
            "overall_rate": model.reference.default_rate, "charts": chart_list,
            "table": table}


# --- 6. two-variable view -----------------------------------------------------------------

def scatter_features(model: Any) -> list[str]:
    """Numeric population features (a scatter of category codes would mean nothing)."""
    return [f for f in model.reference.population_features
            if "edges" in model.reference.histogram(f)]


@dataclass(frozen=True)
class ScatterChoice:
    """The two features of the scatter (validated against the available ones)."""

    x: str
    y: str


def default_scatter_choice(model: Any, explanation: Any) -> ScatterChoice:
    """The applicant's two most influential numeric features."""
    available = scatter_features(model)
    ranked = [f for f, _ in sorted(explanation.contributions.items(),
                                   key=lambda kv: -abs(kv[1])) if f in available]
    ranked += [f for f in available if f not in ranked]
    return ScatterChoice(ranked[0], ranked[1] if len(ranked) > 1 else ranked[0])


def bivariate_section(model: Any, explanation: Any, record: Mapping[str, Any],
                      choice: ScatterChoice, lang: str = "fr") -> dict[str, Any]:
    """The population on two features, coloured and shaped by outcome, applicant marked."""
    values, target, _ = model.reference.population([choice.x, choice.y])
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
    x_label, y_label = model.labels.label(choice.x, lang), model.labels.label(choice.y, lang)
    names = _names(lang)
    figure = charts.scatter(rounded[outcome == 0, 0].tolist(), rounded[outcome == 0, 1].tolist(),
                            rounded[outcome == 1, 0].tolist(), rounded[outcome == 1, 1].tolist(),
                            point, names, x_label, y_label)
    x_shown = feature_value(model, choice.x, explanation, record, lang)
    y_shown = feature_value(model, choice.y, explanation, record, lang)
    table = _quadrant_table(sample, outcome, point, lang)
    summary = _t(lang, f"{len(outcome)} clients tirés au hasard, selon « {x_label} » et "
                 f"« {y_label} ». Ce client : {x_shown} ; {y_shown}. Ronds bleus : ont "
                 "remboursé ; croix orange : en défaut ; étoile : ce client.",
                 f"{len(outcome)} random clients by “{x_label}” and “{y_label}”. This "
                 f"client: {x_shown}; {y_shown}. Blue circles: repaid; orange crosses: "
                 "defaulted; star: this client.")
    chart = charts.Chart(id="bivariate-scatter", title=f"{x_label} × {y_label}", summary=summary,
                         figure=figure, columns=table[0], rows=table[1])
    return {"scatter": chart, "choice": choice,
            "options": [(f, model.labels.label(f, lang)) for f in scatter_features(model)]}


def _quadrant_table(sample: np.ndarray, outcome: np.ndarray, point: tuple[float | None, ...],
                    lang: str) -> tuple[list[str], list[list[str]]]:
    """Default rate in the four quadrants around the applicant (the scatter as a table)."""
    columns = [_t(lang, "Zone", "Area"), _t(lang, "Clients", "Clients"),
               _t(lang, "Taux de défaut", "Default rate")]
    if point[0] is None or point[1] is None or not len(outcome):
        rate = float(np.mean(outcome)) if len(outcome) else 0.0
        return columns, [[_t(lang, "Tous", "All"), fmt.number(len(outcome), lang),
                          fmt.percent(rate, lang)]]
    rows = []
    for below_x in (True, False):
        for below_y in (True, False):
            mask = ((sample[:, 0] <= point[0]) == below_x) & ((sample[:, 1] <= point[1]) == below_y)
            n = int(mask.sum())
            x_word = _t(lang, "x ≤ client", "x ≤ client") if below_x else _t(lang, "x > client",
                                                                              "x > client")
            y_word = _t(lang, "y ≤ client", "y ≤ client") if below_y else _t(lang, "y > client",
                                                                              "y > client")
            rows.append([f"{x_word}, {y_word}", fmt.number(n, lang),
                         fmt.percent(float(outcome[mask].mean()) if n else 0.0, lang)])
    return columns, rows
